// The C init's program: constants shared by cinit.c and the Go compiler
// (package cinit reads them through nsenter.go).
#ifndef CAIS_CINIT_H
#define CAIS_CINIT_H

// Request flag: after the namespaces, run a program instead of the Go init.
#define NSENTER_CINIT 2u

// Messages on the sync socket after MSG_PID (initproto's framing and types:
// u32 type, u32 length, body).
#define CINIT_MSG_PROGRAM 0x20u
#define CINIT_MSG_READY 0x13u /* initproto typeReady, body "{}" */
#define CINIT_MSG_ERROR 0x1fu /* initproto typeError, body {"message":...} */
#define CINIT_MAX_PROGRAM (8u << 20)

// Ops: u32 op, u32 length, then the op's fields. Every op's fields start with
// a string naming what it does for error messages. Strings are u32 length
// (counting a final NUL) and the bytes with that NUL; integers are little
// endian. See cinit.c for each op's fields.
#define CINIT_OP_STEP 1       /* str name: the step errors are prefixed with */
#define CINIT_OP_PROC 2       /* open a private procfs */
#define CINIT_OP_ISOLATE 3    /* u64 propagation flags of /, u32 shared, str rootfs */
#define CINIT_OP_BIND 4       /* u32 flags, u64 set, clr, rset, rclr, str src, dst, props */
#define CINIT_OP_FS 5         /* u32 flags, str type, source, u32 n data strs, u64 fsmount attrs, rset, rclr, str dst, props */
#define CINIT_OP_CG_LINK 6    /* str target, str name (in the cgroup tmpfs) */
#define CINIT_OP_CG_END 7     /* u64 attr set, props */
#define CINIT_OP_MKNOD 8      /* str path, u32 mode, u64 dev, u32 uid, gid */
#define CINIT_OP_SYMLINK 9    /* str path, target, if-exists */
#define CINIT_OP_PIVOT 10     /* u32 no-pivot */
#define CINIT_OP_MKDIR 11     /* str path: mkdir -p after the pivot */
#define CINIT_OP_READONLY 12  /* str path */
#define CINIT_OP_MASK 13      /* str path */
#define CINIT_OP_ROOT_ATTR 14 /* u64 set, props */
#define CINIT_OP_HOSTNAME 15  /* str host, str domain (empty: unchanged) */
#define CINIT_OP_SYSCTL 16    /* str path under /proc, str value ("" path: own oom_score_adj) */
#define CINIT_OP_KEYRING 17   /* str name */
#define CINIT_OP_RLIMIT 18    /* u32 resource, u64 soft, hard */
#define CINIT_OP_CHDIR 19     /* str dir */
#define CINIT_OP_LOOKPATH 20  /* str name, u32 has-path, str PATH */
#define CINIT_OP_SECCOMP 21   /* u32 flags, u32 n, n bytes of BPF */
#define CINIT_OP_USER 22      /* u64 bounding, eff, perm, inh, amb; u32 uid, gid, n gids, gids; s32 umask; u32 last cap */
#define CINIT_OP_NNP 23
#define CINIT_OP_CLOSE_FDS 24 /* u32 first */
#define CINIT_OP_READY 25
#define CINIT_OP_WAIT_START 26 /* u32 fifo fd */
#define CINIT_OP_EXEC 27       /* u32 n args, strs, u32 n env, strs */

// Flags of BIND and FS.
#define CINIT_REC 1u       /* bind: recursive */
#define CINIT_PROTECTED 2u /* no symlink on the destination's path */
#define CINIT_IN_CG 4u     /* destination in the cgroup tmpfs, not the rootfs */
#define CINIT_CG_TOP 8u    /* fs: this is the cgroup tmpfs; keep it */
#define CINIT_DIR_SRC 16u  /* bind: the source must be a directory */

#endif
