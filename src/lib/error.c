/* SPDX-License-Identifier: MIT */
/* Error codes and the per-thread last-error message. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gmig/gmig.h"

static _Thread_local char err_msg[1024];
static _Thread_local int err_code;

int gm_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err_msg, sizeof(err_msg), fmt, ap);
	va_end(ap);
	err_code = code;
	return code;
}

const char *gm_error_last(void)
{
	return err_msg;
}

int gm_error_code(void)
{
	return err_code;
}

void gm_error_clear(void)
{
	err_msg[0] = '\0';
	err_code = 0;
}

const char *gm_error_name(int code)
{
	switch (code) {
	case GM_OK: return "OK";
	case GM_ENOTFOUND: return "ENOTFOUND";
	case GM_EINVAL: return "EINVAL";
	case GM_ENOMEM: return "ENOMEM";
	case GM_EIO: return "EIO";
	case GM_EDATA: return "EDATA";
	case GM_ECORRUPT: return "ECORRUPT";
	case GM_EUNSUPPORTED: return "EUNSUPPORTED";
	case GM_EINTR: return "EINTR";
	case GM_ITEROVER: return "ITEROVER";
	default: return "ERROR";
	}
}
