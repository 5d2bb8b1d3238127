// SPDX-License-Identifier: Apache-2.0
/*
 * Loads each BPF object given on the command line into the kernel and
 * unloads it again: proof that the verifier accepts the committed bytes.
 * libbpf prints the verifier log on failure; exit status is 1 on any failure.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static int verify_object(const char *path)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_prog_info info;
	__u32 info_len;
	int err;

	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		err = -errno;
		fprintf(stderr, "%s: open failed: %s\n", path, strerror(-err));
		return err;
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "%s: load (verifier) failed: %s\n", path, strerror(-err));
		goto out_close;
	}
	bpf_object__for_each_program(prog, obj)
	{
		memset(&info, 0, sizeof(info));
		info_len = sizeof(info);
		err = bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &info_len);
		if (err) {
			fprintf(stderr, "%s: prog info failed: %s\n", path, strerror(-err));
			goto out_close;
		}
		printf("%s: %s loaded, %u xlated bytes, verified\n", path, bpf_program__name(prog),
			info.xlated_prog_len);
	}
out_close:
	bpf_object__close(obj);
	return err;
}

int main(int argc, char **argv)
{
	int failed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s OBJECT.o...\n", argv[0]);
		return 2;
	}
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	for (int i = 1; i < argc; i++)
		if (verify_object(argv[i]))
			failed = 1;
	return failed;
}
