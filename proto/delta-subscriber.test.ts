// SPDX-License-Identifier: Apache-2.0
import { create } from '@bufbuild/protobuf';
import { expect } from 'chai';
import { DeltaDiscoveryResponseSchema } from './gen/envoy/service/discovery/v3/discovery_pb';
import { responseProblem } from './delta-subscriber';
import { CLUSTER_TYPE } from './type-urls';

const response = (names: string[], removed: string[] = []) =>
  create(DeltaDiscoveryResponseSchema, { typeUrl: CLUSTER_TYPE, resources: names.map((name) => ({ name, version: '1' })), removedResources: removed });

describe('delta responses that contradict themselves', () => {
  it('accepts distinct names and removals of other names', () => {
    expect(responseProblem(response(['eu', 'us'], ['asia']))).to.equal(undefined);
  });

  it('names the resource given twice, or updated and removed at once', () => {
    expect(responseProblem(response(['eu', 'us', 'eu']))).to.equal('Cluster "eu": the response carries this resource name more than once');
    expect(responseProblem(response(['eu'], ['eu']))).to.equal('Cluster "eu": the response both updates and removes this resource');
  });
});
