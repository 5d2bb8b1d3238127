// SPDX-License-Identifier: Apache-2.0
// Prints where each source line of a loaded BPF program sits in its JIT image, so that
// perf samples (symbol bpf_prog_<tag>_<name>+offset) can be charged to source lines
// (bench/profile-xdp.sh). bpftool's own `dump jited linum` needs libbfd, which Debian's
// bpftool is built without; the kernel gives the same facts through BPF_OBJ_GET_INFO.
//   jited_lines PINNED_PROG
// Output: "func <start address hex> <length> <name>" for each JIT'd function (the main
// program and its subprograms, such as bpf_loop callbacks), then "line <address hex>
// <file>:<line>" for each line record.
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : (path ? path : "?");
}

int main(int argc, char **argv)
{
	struct bpf_prog_info info = {0};
	uint32_t len = sizeof(info);
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: jited_lines PINNED_PROG\n");
		return 2;
	}
	fd = bpf_obj_get(argv[1]);
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		perror(argv[1]);
		return 1;
	}
	uint32_t n_jited = info.nr_jited_line_info, n_lines = info.nr_line_info;
	uint32_t n_ksyms = info.nr_jited_ksyms, n_lens = info.nr_jited_func_lens,
		 btf_id = info.btf_id;
	uint32_t n_funcs = info.nr_func_info;
	uint64_t *jited = calloc(n_jited ? n_jited : 1, sizeof(*jited));
	struct bpf_line_info *lines = calloc(n_lines ? n_lines : 1, sizeof(*lines));
	uint64_t *ksyms = calloc(n_ksyms ? n_ksyms : 1, sizeof(*ksyms));
	uint32_t *lens = calloc(n_lens ? n_lens : 1, sizeof(*lens));
	struct bpf_func_info *funcs = calloc(n_funcs ? n_funcs : 1, sizeof(*funcs));

	if (!jited || !lines || !ksyms || !lens || !funcs || !btf_id || n_jited != n_lines) {
		fprintf(stderr, "%s: no line info (built without -g?)\n", argv[1]);
		return 1;
	}
	memset(&info, 0, sizeof(info));
	info.nr_jited_line_info = n_jited;
	info.jited_line_info = (uintptr_t)jited;
	info.jited_line_info_rec_size = sizeof(*jited);
	info.nr_line_info = n_lines;
	info.line_info = (uintptr_t)lines;
	info.line_info_rec_size = sizeof(*lines);
	info.nr_jited_ksyms = n_ksyms;
	info.jited_ksyms = (uintptr_t)ksyms;
	info.nr_jited_func_lens = n_lens;
	info.jited_func_lens = (uintptr_t)lens;
	info.nr_func_info = n_funcs;
	info.func_info = (uintptr_t)funcs;
	info.func_info_rec_size = sizeof(*funcs);
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		perror("BPF_OBJ_GET_INFO");
		return 1;
	}
	struct btf *btf = btf__load_from_kernel_by_id(btf_id);

	if (!btf) {
		fprintf(stderr, "BTF %u: cannot load\n", btf_id);
		return 1;
	}
	for (uint32_t i = 0; i < n_ksyms && i < n_lens; i++) {
		const struct btf_type *t =
			i < n_funcs ? btf__type_by_id(btf, funcs[i].type_id) : NULL;

		printf("func %llx %u %s\n", (unsigned long long)ksyms[i], lens[i],
			t ? btf__name_by_offset(btf, t->name_off) : "?");
	}
	for (uint32_t i = 0; i < n_jited; i++)
		printf("line %llx %s:%u\n", (unsigned long long)jited[i],
			base_name(btf__name_by_offset(btf, lines[i].file_name_off)),
			BPF_LINE_INFO_LINE_NUM(lines[i].line_col));
	btf__free(btf);
	return 0;
}
