/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * tlbisol generic-netlink UAPI, shared by tlbisol.ko and user space.
 */
#ifndef _UAPI_LINUX_TLBISOL_H
#define _UAPI_LINUX_TLBISOL_H

#define TLBISOL_GENL_NAME	"tlbisol"
#define TLBISOL_GENL_VERSION	1

#endif /* _UAPI_LINUX_TLBISOL_H */
