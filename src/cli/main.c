/* SPDX-License-Identifier: MIT */
/* gmig: the command table and the process-wide duties (exit codes, stdout errors). */
#include <stdio.h>
#include <string.h>

#include "gmig/gmig.h"

int main(int argc, const char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("gmig %s\n", GMIG_VERSION);
		return 0;
	}
	fprintf(stderr, "usage: gmig <command> [options]\n");
	return 129;
}
