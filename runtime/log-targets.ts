// SPDX-License-Identifier: Apache-2.0
// Our module names as Quilkin v0.9 tracing targets, so `RUST_LOG=quilkin::net::xds=debug`-style
// directives and log pipelines that key on `target` see the names they know.

const TARGETS: Readonly<Record<string, string>> = {
  cli: 'quilkin::cli',
  'qcmp-ping': 'quilkin::cli::qcmp',
  admin: 'quilkin::components::admin',
  agent: 'quilkin::components::agent',
  manage: 'quilkin::components::manage',
  relay: 'quilkin::components::relay',
  proxy: 'quilkin::components::proxy',
  'backend-js': 'quilkin::components::proxy::packet_router',
  'backend-socket': 'quilkin::components::proxy::packet_router',
  'backend-xdp': 'quilkin::net::xdp',
  filters: 'quilkin::filters',
  qcmp: 'quilkin::codec::qcmp',
  phoenix: 'quilkin::net::phoenix',
  provider: 'quilkin::config::providers',
  'provider-fs': 'quilkin::config::watch::fs',
  'k8s-provider': 'quilkin::config::providers::k8s',
  'k8s-client': 'quilkin::config::providers::k8s',
  'k8s-reflector': 'quilkin::config::providers::k8s',
  'k8s-configmaps': 'quilkin::config::providers::k8s',
  'k8s-gameservers': 'quilkin::config::providers::k8s::agones',
  // v0.9 keeps xDS in the quilkin-xds crate; `quilkin` as a directive still matches it (prefix).
  'xds-client': 'quilkin_xds::client',
  'xds-server': 'quilkin_xds::server',
  'mds-push': 'quilkin_xds::client',
  'mds-relay': 'quilkin_xds::server',
};

/** The target for a module; modules without a Quilkin counterpart get `quilkin::<module>`. */
export function targetOf(module: string): string {
  return TARGETS[module] ?? `quilkin::${module.replace(/-/g, '_')}`;
}
