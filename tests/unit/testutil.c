/* SPDX-License-Identifier: MIT */
/* Helpers shared by the unit tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

char *tu_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	if (!f)
		fail_msg("cannot open '%s'", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return p;
}

struct gm_value tu_int(int64_t i)
{
	struct gm_value v;

	memset(&v, 0, sizeof(v));
	v.type = GM_T_INT;
	v.u.i = i;
	return v;
}

struct gm_value tu_str(const char *s)
{
	struct gm_value v;

	memset(&v, 0, sizeof(v));
	v.type = GM_T_STRING;
	v.u.s = gm_str_c(s);
	return v;
}

struct gm_value tu_float(double f)
{
	struct gm_value v;

	memset(&v, 0, sizeof(v));
	v.type = GM_T_FLOAT;
	v.u.f = f;
	return v;
}

struct gm_value tu_point(uint32_t srid, int dim, double x, double y, double z)
{
	struct gm_value v;

	memset(&v, 0, sizeof(v));
	v.type = GM_T_POINT;
	v.u.pt.srid = srid;
	v.u.pt.dim = (uint8_t)dim;
	v.u.pt.x = x;
	v.u.pt.y = y;
	v.u.pt.z = z;
	return v;
}
