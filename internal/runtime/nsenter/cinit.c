// The C init: runs a program the runtime compiled from the container's
// config, from the namespaces nsenter made to execve of the user's process,
// so a container starts without booting a Go runtime in its init. The
// runtime compiles a program only for configs every op here covers
// (package cinit says which); the others take the Go init (package
// bootstrap). Both follow the same order of steps and make the same checks:
// every path inside the rootfs is resolved with openat2(RESOLVE_IN_ROOT),
// mounts are made with the new mount API on handles, destinations under
// /proc, /sys and /dev may not be reached through a symlink.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <unistd.h>

#include "cinit.h"
#include "nsenter.h"

// The new mount API and openat2, by number: glibc's headers for them vary
// between versions and clash with the kernel's.
struct cinit_open_how {
	uint64_t flags, mode, resolve;
};
struct cinit_mount_attr {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};
#define C_RESOLVE_NO_MAGICLINKS 0x02
#define C_RESOLVE_NO_SYMLINKS 0x04
#define C_RESOLVE_BENEATH 0x08
#define C_RESOLVE_IN_ROOT 0x10
#define C_OPEN_TREE_CLONE 1
#define C_AT_RECURSIVE 0x8000
#define C_MOVE_MOUNT_F_EMPTY_PATH 0x04
#define C_MOVE_MOUNT_T_EMPTY_PATH 0x40
#define C_FSOPEN_CLOEXEC 1
#define C_FSMOUNT_CLOEXEC 1
#define C_FSCONFIG_SET_FLAG 0
#define C_FSCONFIG_SET_STRING 1
#define C_FSCONFIG_CMD_CREATE 6
#define C_MOUNT_ATTR_RDONLY 0x1
#define C_CLOSE_RANGE_CLOEXEC 4
#define C_KEYCTL_JOIN_SESSION_KEYRING 1
#define C_SECCOMP_SET_MODE_FILTER 1

static int ci_sync = -1;
static char ci_step[256] = "setting up the container";
static const char *ci_what = "";

static void ci_send(uint32_t type, const char *body, uint32_t len)
{
	uint32_t hdr[2] = { type, len };
	nsenter_write_all(ci_sync, hdr, sizeof(hdr));
	if (len > 0)
		nsenter_write_all(ci_sync, body, len);
}

// ci_errstr is Go's spelling of an errno: strerror's, lower-cased first.
static void ci_errstr(int e, char *buf, size_t n)
{
	snprintf(buf, n, "%s", strerror(e));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] = (char)(buf[0] - 'A' + 'a');
}

// ci_fail reports "step: what: message[: errno]" as initproto's error
// message (JSON) and exits. errno 0 adds nothing.
__attribute__((noreturn, format(printf, 1, 2)))
static void ci_fail(const char *fmt, ...)
{
	int saved = errno;
	char msg[2048], detail[1024], e[128] = "";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (saved != 0)
		ci_errstr(saved, e, sizeof(e));
	const char *parts[] = { ci_step, ci_what, detail, e };
	size_t n = 0;
	msg[0] = '\0';
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (parts[i][0] == '\0' || n >= sizeof(msg))
			continue;
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s%s", n > 0 ? ": " : "", parts[i]);
	}
	if (n >= sizeof(msg))
		n = sizeof(msg) - 1;
	// JSON: {"message":"..."} with quotes, backslashes and controls escaped.
	static char out[2048 * 6 + 32];
	size_t o = 0;
	o += (size_t)snprintf(out, sizeof(out), "{\"message\":\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)msg[i];
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20) {
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\u%04x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	o += (size_t)snprintf(out + o, sizeof(out) - o, "\"}");
	ci_send(CINIT_MSG_ERROR, out, (uint32_t)o);
	_exit(1);
}

// --- reading the program -----------------------------------------------------

struct ci_cur {
	const char *p;
	uint32_t left;
};

static void ci_need(struct ci_cur *c, uint32_t n)
{
	if (c->left < n) {
		errno = 0;
		ci_fail("init program truncated");
	}
}

static uint32_t ci_u32(struct ci_cur *c)
{
	uint32_t v;
	ci_need(c, sizeof(v));
	memcpy(&v, c->p, sizeof(v));
	c->p += sizeof(v);
	c->left -= (uint32_t)sizeof(v);
	return v;
}

static uint64_t ci_u64(struct ci_cur *c)
{
	uint64_t v;
	ci_need(c, sizeof(v));
	memcpy(&v, c->p, sizeof(v));
	c->p += sizeof(v);
	c->left -= (uint32_t)sizeof(v);
	return v;
}

// ci_str returns a NUL-terminated string inside the program (the compiler
// wrote the NUL; a string with another NUL inside is refused).
static const char *ci_str(struct ci_cur *c)
{
	uint32_t n = ci_u32(c);
	ci_need(c, n);
	if (n == 0 || c->p[n - 1] != '\0' || strlen(c->p) != n - 1) {
		errno = 0;
		ci_fail("init program: malformed string");
	}
	const char *s = c->p;
	c->p += n;
	c->left -= n;
	return s;
}

// ci_strs reads a u32 count and that many strings into a NULL-terminated
// array.
static char **ci_strs(struct ci_cur *c)
{
	uint32_t n = ci_u32(c);
	if (n > c->left / 5) {
		errno = 0;
		ci_fail("init program: bad count %u", n);
	}
	char **v = calloc((size_t)n + 1, sizeof(char *));
	if (v == NULL)
		ci_fail("calloc");
	for (uint32_t i = 0; i < n; i++)
		v[i] = (char *)ci_str(c);
	return v;
}

// --- paths inside a root -----------------------------------------------------

static int ci_openat2(int dirfd, const char *path, uint64_t flags, uint64_t resolve)
{
	struct cinit_open_how how = { .flags = flags | O_CLOEXEC, .resolve = resolve };
	for (int try = 0;; try++) {
		int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
		if (fd < 0 && ((errno == EAGAIN && try < 64) || errno == EINTR))
			continue;
		return fd;
	}
}

static int ci_in_root(int root, const char *path)
{
	return ci_openat2(root, path, O_PATH, C_RESOLVE_IN_ROOT | C_RESOLVE_NO_MAGICLINKS);
}

// ci_no_symlinks opens path under root when no component is a symlink:
// the fd, -1 with errno ENOENT when it does not exist, and a failure when
// a component is a symlink.
static int ci_no_symlinks(int root, const char *path)
{
	int fd = ci_openat2(root, path, O_PATH, C_RESOLVE_IN_ROOT | C_RESOLVE_NO_SYMLINKS | C_RESOLVE_NO_MAGICLINKS);
	if (fd >= 0 || errno == ENOENT)
		return fd;
	if (errno == ELOOP) {
		errno = 0;
		ci_fail("%s (or a directory above it) is a symlink in the rootfs: refusing to mount there: invalid argument", path);
	}
	ci_fail("opening %s", path);
}

static int ci_is_dir(int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		ci_fail("fstat");
	return S_ISDIR(st.st_mode);
}

// ci_mkdir_all makes every missing directory of path under root, each
// created inside its parent as resolved in the root, and returns an O_PATH
// fd on the last.
static int ci_mkdir_all(int root, const char *path)
{
	int fd = ci_openat2(root, path, O_PATH | O_DIRECTORY, C_RESOLVE_IN_ROOT | C_RESOLVE_NO_MAGICLINKS);
	if (fd >= 0 || errno != ENOENT) {
		if (fd < 0)
			ci_fail("mkdir %s", path);
		return fd;
	}
	char prefix[PATH_MAX];
	size_t len = strlen(path);
	if (len >= sizeof(prefix)) {
		errno = ENAMETOOLONG;
		ci_fail("mkdir %s", path);
	}
	int parent = dup(root);
	if (parent < 0)
		ci_fail("dup");
	size_t i = 0;
	while (i < len) {
		while (i < len && path[i] == '/')
			i++;
		if (i >= len)
			break;
		size_t start = i;
		while (i < len && path[i] != '/')
			i++;
		memcpy(prefix, path, i);
		prefix[i] = '\0';
		int next = ci_openat2(root, prefix, O_PATH | O_DIRECTORY, C_RESOLVE_IN_ROOT | C_RESOLVE_NO_MAGICLINKS);
		if (next < 0 && errno == ENOENT) {
			char name[NAME_MAX + 1];
			size_t nl = i - start;
			if (nl > NAME_MAX) {
				errno = ENAMETOOLONG;
				ci_fail("mkdir %s", prefix);
			}
			memcpy(name, path + start, nl);
			name[nl] = '\0';
			if (mkdirat(parent, name, 0755) < 0 && errno != EEXIST)
				ci_fail("mkdir %s", prefix);
			next = ci_openat2(root, prefix, O_PATH | O_DIRECTORY, C_RESOLVE_IN_ROOT | C_RESOLVE_NO_MAGICLINKS);
		}
		if (next < 0)
			ci_fail("mkdir %s", prefix);
		close(parent);
		parent = next;
	}
	return parent;
}

static int ci_same_file(int a, int b)
{
	struct stat sa, sb;
	if (fstat(a, &sa) < 0 || fstat(b, &sb) < 0)
		ci_fail("fstat");
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// ci_split copies the directory of the absolute, cleaned path into dir
// ("/" for a top-level name) and returns its last component.
static const char *ci_split(const char *path, char *dir, size_t n)
{
	snprintf(dir, n, "%s", path);
	char *slash = strrchr(dir, '/');
	const char *name = path + (slash - dir) + 1;
	if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	return name;
}

// ci_mountpoint returns an O_PATH fd on dst under root, made (a directory,
// or an empty file for dir == 0) when missing; protected paths are checked
// to be reached without symlinks, before and after.
static int ci_mountpoint(int root, const char *dst, int dir, int protected)
{
	if (protected) {
		int f = ci_no_symlinks(root, dst);
		if (f >= 0)
			close(f);
	}
	int h = ci_in_root(root, dst);
	if (h < 0 && errno == ENOENT) {
		if (dir) {
			h = ci_mkdir_all(root, dst);
		} else {
			char parent[PATH_MAX];
			const char *name = ci_split(dst, parent, sizeof(parent));
			int pfd = ci_mkdir_all(root, parent);
			int fd = openat(pfd, name, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0644);
			if (fd >= 0)
				close(fd);
			else if (errno != EEXIST)
				ci_fail("mountpoint %s: creating %s", dst, name);
			h = openat(pfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
			if (h < 0)
				ci_fail("mountpoint %s: opening %s", dst, name);
			close(pfd);
		}
	}
	if (h < 0)
		ci_fail("mountpoint %s", dst);
	if (protected) {
		int check = ci_no_symlinks(root, dst);
		if (check < 0) {
			errno = 0;
			ci_fail("mountpoint %s: %s vanished", dst, dst);
		}
		if (!ci_same_file(h, check)) {
			errno = 0;
			ci_fail("mountpoint %s changed while it was prepared: conflict", dst);
		}
		close(check);
	}
	return h;
}

// --- mounts ------------------------------------------------------------------

static void ci_setattr(int fd, uint64_t set, uint64_t clr, int recursive)
{
	if (set == 0 && clr == 0)
		return;
	struct cinit_mount_attr ma = { .attr_set = set, .attr_clr = clr };
	unsigned flags = AT_EMPTY_PATH | (recursive ? C_AT_RECURSIVE : 0);
	if (syscall(SYS_mount_setattr, fd, "", flags, &ma, sizeof(ma)) < 0)
		ci_fail("mount_setattr");
}

static void ci_propagate(int fd, uint64_t prop, int recursive)
{
	struct cinit_mount_attr ma = { .propagation = prop };
	unsigned flags = AT_EMPTY_PATH | (recursive ? C_AT_RECURSIVE : 0);
	if (syscall(SYS_mount_setattr, fd, "", flags, &ma, sizeof(ma)) < 0)
		ci_fail("setting propagation");
}

// ci_props reads a propagation list and applies it to fd.
static void ci_props(struct ci_cur *c, int fd)
{
	uint32_t n = ci_u32(c);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t prop = ci_u64(c);
		uint32_t rec = ci_u32(c);
		if (fd >= 0)
			ci_propagate(fd, prop, (int)rec);
	}
}

static int ci_clone_tree(int fd, int recursive)
{
	unsigned flags = C_OPEN_TREE_CLONE | O_CLOEXEC | AT_EMPTY_PATH | (recursive ? C_AT_RECURSIVE : 0);
	int t = (int)syscall(SYS_open_tree, fd, "", flags);
	if (t < 0)
		ci_fail("open_tree");
	return t;
}

static void ci_attach(int tree, int target)
{
	if (syscall(SYS_move_mount, tree, "", target, "", C_MOVE_MOUNT_F_EMPTY_PATH | C_MOVE_MOUNT_T_EMPTY_PATH) < 0)
		ci_fail("move_mount");
}

static int ci_new_fs(const char *type, const char *source, char **data, uint64_t attrs)
{
	int fs = (int)syscall(SYS_fsopen, type, C_FSOPEN_CLOEXEC);
	if (fs < 0)
		ci_fail("fsopen %s", type);
	if (source[0] != '\0' && syscall(SYS_fsconfig, fs, C_FSCONFIG_SET_STRING, "source", source, 0) < 0)
		ci_fail("%s: source %s", type, source);
	for (char **d = data; d != NULL && *d != NULL; d++) {
		const char *eq = strchr(*d, '=');
		long r;
		if (eq != NULL) {
			char key[256];
			snprintf(key, sizeof(key), "%.*s", (int)(eq - *d), *d);
			r = syscall(SYS_fsconfig, fs, C_FSCONFIG_SET_STRING, key, eq + 1, 0);
		} else {
			r = syscall(SYS_fsconfig, fs, C_FSCONFIG_SET_FLAG, *d, NULL, 0);
		}
		if (r < 0)
			ci_fail("%s: option %s", type, *d);
	}
	if (syscall(SYS_fsconfig, fs, C_FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		ci_fail("creating %s", type);
	int m = (int)syscall(SYS_fsmount, fs, C_FSMOUNT_CLOEXEC, (unsigned)attrs);
	if (m < 0)
		ci_fail("fsmount %s", type);
	close(fs);
	return m;
}

struct ci_state {
	int root;     // the rootfs tree until the pivot
	int cg;       // the cgroup v1 tmpfs while its hierarchies are added
	int proc;     // a private procfs
	char exe[PATH_MAX];
};

static void ci_op_isolate(struct ci_state *s, struct ci_cur *c)
{
	uint64_t prop = ci_u64(c);
	uint32_t shared = ci_u32(c);
	const char *rootfs = ci_str(c);
	if (mount("", "/", NULL, prop, NULL) < 0)
		ci_fail("setting propagation of /");
	int dir = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		ci_fail("opening rootfs");
	int tree = ci_clone_tree(dir, 1);
	ci_attach(tree, dir);
	if (shared) {
		ci_propagate(dir, MS_PRIVATE, 0);
		ci_propagate(tree, MS_PRIVATE, 0);
	}
	close(dir);
	s->root = tree;
}

static void ci_op_bind(struct ci_state *s, struct ci_cur *c)
{
	uint32_t flags = ci_u32(c);
	uint64_t set = ci_u64(c), clr = ci_u64(c), rset = ci_u64(c), rclr = ci_u64(c);
	const char *src = ci_str(c);
	const char *dst = ci_str(c);
	int sf = open(src, O_PATH | O_CLOEXEC | ((flags & CINIT_DIR_SRC) ? O_DIRECTORY : 0));
	if (sf < 0)
		ci_fail("bind source");
	int dir = ci_is_dir(sf);
	int tree = ci_clone_tree(sf, (flags & CINIT_REC) != 0);
	close(sf);
	ci_setattr(tree, rset, rclr, 1);
	ci_setattr(tree, set, clr, 0);
	int root = (flags & CINIT_IN_CG) ? s->cg : s->root;
	int target = ci_mountpoint(root, dst, dir, (flags & CINIT_PROTECTED) != 0);
	ci_attach(tree, target);
	close(target);
	ci_props(c, tree);
	close(tree);
}

static void ci_op_fs(struct ci_state *s, struct ci_cur *c)
{
	uint32_t flags = ci_u32(c);
	const char *type = ci_str(c);
	const char *source = ci_str(c);
	char **data = ci_strs(c);
	uint64_t attrs = ci_u64(c), rset = ci_u64(c), rclr = ci_u64(c);
	const char *dst = ci_str(c);
	int m = ci_new_fs(type, source, data, attrs);
	free(data);
	ci_setattr(m, rset, rclr, 1);
	int root = (flags & CINIT_IN_CG) ? s->cg : s->root;
	int target = ci_mountpoint(root, dst, 1, (flags & CINIT_PROTECTED) != 0);
	if (!ci_is_dir(target)) {
		errno = 0;
		ci_fail("%s must be a directory to mount %s on it: invalid argument", dst, type);
	}
	ci_attach(m, target);
	close(target);
	if (flags & CINIT_CG_TOP) {
		ci_props(c, -1);
		s->cg = m;
		return;
	}
	ci_props(c, m);
	close(m);
}

static void ci_op_cg_end(struct ci_state *s, struct ci_cur *c)
{
	uint64_t set = ci_u64(c);
	ci_props(c, s->cg);
	ci_setattr(s->cg, set, 0, 0);
	close(s->cg);
	s->cg = -1;
}

// ci_parent_dir opens the directory of cpath in the rootfs, with no symlink
// on the way, making it when missing; *name points at the last component.
static int ci_parent_dir(struct ci_state *s, const char *cpath, const char **name)
{
	char dir[PATH_MAX];
	*name = ci_split(cpath, dir, sizeof(dir));
	int fd = ci_no_symlinks(s->root, dir);
	if (fd >= 0)
		return fd;
	close(ci_mkdir_all(s->root, dir));
	fd = ci_no_symlinks(s->root, dir);
	if (fd < 0) {
		errno = 0;
		ci_fail("%s vanished", dir);
	}
	return fd;
}

static void ci_op_mknod(struct ci_state *s, struct ci_cur *c)
{
	const char *path = ci_str(c);
	uint32_t mode = ci_u32(c);
	uint64_t dev = ci_u64(c);
	uint32_t uid = ci_u32(c), gid = ci_u32(c);
	const char *name;
	int parent = ci_parent_dir(s, path, &name);
	mode_t old = umask(0);
	int r = mknodat(parent, name, mode, (dev_t)dev);
	if (r < 0 && errno == EEXIST) {
		r = unlinkat(parent, name, 0);
		if (r == 0)
			r = mknodat(parent, name, mode, (dev_t)dev);
	}
	umask(old);
	if (r < 0)
		ci_fail("mknod");
	if (fchownat(parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		ci_fail("chown");
	close(parent);
}

static void ci_op_symlink(struct ci_state *s, struct ci_cur *c)
{
	const char *path = ci_str(c);
	const char *target = ci_str(c);
	const char *ifexists = ci_str(c);
	struct stat st;
	if (ifexists[0] != '\0' && stat(ifexists, &st) < 0)
		return;
	const char *name;
	int parent = ci_parent_dir(s, path, &name);
	if (symlinkat(target, parent, name) < 0 && errno != EEXIST)
		ci_fail("symlinkat");
	close(parent);
}

static void ci_op_pivot(struct ci_state *s, struct ci_cur *c)
{
	uint32_t nopivot = ci_u32(c);
	if (fchdir(s->root) < 0)
		ci_fail("entering rootfs");
	if (nopivot) {
		if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
			ci_fail("moving rootfs onto /");
		if (chroot(".") < 0)
			ci_fail("chroot");
	} else {
		int old = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (old < 0)
			ci_fail("opening old root");
		if (syscall(SYS_pivot_root, ".", ".") < 0)
			ci_fail("pivot_root");
		if (fchdir(old) < 0)
			ci_fail("entering old root");
		if (mount("", ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
			ci_fail("old root: setting propagation");
		if (umount2(".", MNT_DETACH) < 0)
			ci_fail("detaching old root");
		close(old);
	}
	if (chdir("/") < 0)
		ci_fail("chdir /");
	close(s->root);
	s->root = -1;
}

// ci_mkdir_p is mkdir -p with the process's own view (after the pivot).
static void ci_mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);
	if (len >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		ci_fail("mkdir %s", path);
	}
	memcpy(buf, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char saved = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			ci_fail("mkdir %s", buf);
		buf[i] = saved;
	}
	struct stat st;
	if (stat(path, &st) < 0)
		ci_fail("mkdir %s", path);
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		ci_fail("mkdir %s", path);
	}
}

static void ci_op_readonly(struct ci_cur *c)
{
	const char *path = ci_str(c);
	int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		ci_fail("opening root");
	int h = ci_in_root(root, path);
	close(root);
	if (h < 0) {
		if (errno == ENOENT)
			return;
		ci_fail("openat2 %s", path);
	}
	int tree = ci_clone_tree(h, 1);
	ci_setattr(tree, C_MOUNT_ATTR_RDONLY, 0, 1);
	ci_attach(tree, h);
	close(tree);
	close(h);
}

static int ci_null = -1;

static void ci_op_mask(struct ci_cur *c)
{
	const char *path = ci_str(c);
	int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		ci_fail("opening root");
	int h = ci_in_root(root, path);
	if (h < 0) {
		if (errno == ENOENT) {
			close(root);
			return;
		}
		ci_fail("openat2 %s", path);
	}
	int tree;
	if (ci_is_dir(h)) {
		char *data[] = { "size=0", "mode=555", NULL };
		tree = ci_new_fs("tmpfs", "tmpfs", data, C_MOUNT_ATTR_RDONLY);
	} else {
		if (ci_null < 0) {
			ci_null = ci_no_symlinks(root, "/dev/null");
			if (ci_null < 0) {
				errno = 0;
				ci_fail("masking: /dev/null does not exist: not found");
			}
			struct stat st;
			if (fstat(ci_null, &st) < 0)
				ci_fail("masking: stat /dev/null");
			if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3) {
				errno = 0;
				ci_fail("masking: /dev/null is not the null device (mode %#o, rdev %u:%u): invalid argument",
					st.st_mode, major(st.st_rdev), minor(st.st_rdev));
			}
		}
		tree = ci_clone_tree(ci_null, 0);
	}
	close(root);
	ci_attach(tree, h);
	close(tree);
	close(h);
}

static void ci_op_root_attr(struct ci_cur *c)
{
	uint64_t set = ci_u64(c);
	int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		ci_fail("opening root");
	ci_setattr(root, set, 0, 0);
	ci_props(c, root);
	close(root);
}

static void ci_op_proc(struct ci_state *s)
{
	s->proc = ci_new_fs("proc", "proc", NULL, 0);
}

static void ci_op_sysctl(struct ci_state *s, struct ci_cur *c)
{
	const char *path = ci_str(c);
	const char *value = ci_str(c);
	char own[64];
	if (path[0] == '\0') {
		snprintf(own, sizeof(own), "%d/oom_score_adj", (int)getpid());
		path = own;
	}
	if (s->proc < 0) {
		errno = 0;
		ci_fail("no procfs");
	}
	int fd = ci_openat2(s->proc, path, O_WRONLY, C_RESOLVE_BENEATH | C_RESOLVE_NO_SYMLINKS | C_RESOLVE_NO_MAGICLINKS);
	if (fd < 0)
		ci_fail("open %s", path);
	size_t n = strlen(value);
	if (write(fd, value, n) != (ssize_t)n)
		ci_fail("write %s", path);
	close(fd);
}

static void ci_op_user(struct ci_cur *c)
{
	uint64_t bounding = ci_u64(c), eff = ci_u64(c), perm = ci_u64(c), inh = ci_u64(c), amb = ci_u64(c);
	uint32_t uid = ci_u32(c), gid = ci_u32(c);
	uint32_t ngids = ci_u32(c);
	if (ngids > 65536) {
		errno = 0;
		ci_fail("init program: %u groups", ngids);
	}
	gid_t *gids = calloc(ngids + 1, sizeof(gid_t));
	if (gids == NULL)
		ci_fail("calloc");
	for (uint32_t i = 0; i < ngids; i++)
		gids[i] = ci_u32(c);
	int32_t um = (int32_t)ci_u32(c);
	int last = (int)ci_u32(c); // the kernel's last capability, as the runtime found it
	if (last < 0 || last > 63) {
		errno = 0;
		ci_fail("init program: last capability %d", last);
	}

	// Drop without reading first (each call may pass a seccomp filter
	// already); only a refused drop asks whether there was anything to drop.
	for (int n = 0; n <= last; n++) {
		if (bounding & (1ull << n))
			continue;
		if (prctl(PR_CAPBSET_DROP, n, 0, 0, 0) == 0)
			continue;
		int e = errno;
		int in = prctl(PR_CAPBSET_READ, n, 0, 0, 0);
		if (in < 0)
			ci_fail("reading bounding capability %d", n);
		if (in) {
			errno = e;
			ci_fail("dropping bounding capability %d", n);
		}
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		ci_fail("setting keep-capabilities");
	// Raw system calls: glibc's set*id wrappers signal every thread, and
	// this process has one.
	gid_t have[NGROUPS_MAX > 65536 ? 65536 : NGROUPS_MAX];
	int nhave = getgroups(sizeof(have) / sizeof(have[0]), have);
	int same = nhave == (int)ngids;
	for (uint32_t i = 0; same && i < ngids; i++)
		same = have[i] == gids[i];
	if (!same && syscall(SYS_setgroups, ngids, gids) < 0)
		ci_fail("changing user: setgroups");
	if (syscall(SYS_setresgid, gid, gid, gid) < 0)
		ci_fail("changing user: setting gid %u", gid);
	if (syscall(SYS_setresuid, uid, uid, uid) < 0)
		ci_fail("changing user: setting uid %u", uid);
	if (um >= 0)
		umask((mode_t)um);
	free(gids);

	struct {
		uint32_t version;
		int pid;
	} hdr = { 0x20080522, 0 };
	struct {
		uint32_t effective, permitted, inheritable;
	} data[2];
	for (int i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)(eff >> (32 * i));
		data[i].permitted = (uint32_t)(perm >> (32 * i));
		data[i].inheritable = (uint32_t)(inh >> (32 * i));
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		ci_fail("setting capabilities (effective %#llx, permitted %#llx, inheritable %#llx)",
			(unsigned long long)eff, (unsigned long long)perm, (unsigned long long)inh);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		ci_fail("clearing ambient capabilities");
	for (int n = 0; n <= last; n++) {
		uint64_t bit = 1ull << n;
		if (!(amb & bit) || !(perm & inh & bit))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, n, 0, 0) < 0)
			ci_fail("raising ambient capability %d", n);
	}
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		ci_fail("clearing keep-capabilities");
}

// ci_executable checks p the way process.LookPath does; 0, or an errno
// with a message in msg.
static int ci_executable(const char *p, char *msg, size_t n)
{
	struct stat st;
	if (stat(p, &st) < 0) {
		int e = errno;
		if (e == ENOENT)
			snprintf(msg, n, "stat %s: no such file or directory", p);
		else {
			char es[128];
			ci_errstr(e, es, sizeof(es));
			snprintf(msg, n, "stat %s: %s", p, es);
		}
		return e;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(msg, n, "%s is a directory: permission denied", p);
		return EACCES;
	}
	if (access(p, X_OK) < 0) {
		snprintf(msg, n, "%s: permission denied", p);
		return EACCES;
	}
	return 0;
}

static void ci_op_lookpath(struct ci_state *s, struct ci_cur *c)
{
	const char *name = ci_str(c);
	uint32_t has_path = ci_u32(c);
	const char *path = ci_str(c);
	char msg[PATH_MAX + 128];
	if (strchr(name, '/') != NULL) {
		if (ci_executable(name, msg, sizeof(msg)) != 0) {
			errno = 0;
			ci_fail("exec: \"%s\": %s", name, msg);
		}
		snprintf(s->exe, sizeof(s->exe), "%s", name);
		return;
	}
	if (!has_path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	char denied[sizeof(msg)] = "";
	const char *p = path;
	for (;;) {
		const char *end = strchr(p, ':');
		size_t dl = end ? (size_t)(end - p) : strlen(p);
		char cand[PATH_MAX];
		if (dl == 0)
			snprintf(cand, sizeof(cand), "%s", name);
		else if (p[dl - 1] == '/')
			snprintf(cand, sizeof(cand), "%.*s%s", (int)dl, p, name);
		else
			snprintf(cand, sizeof(cand), "%.*s/%s", (int)dl, p, name);
		int e = ci_executable(cand, msg, sizeof(msg));
		if (e == 0) {
			snprintf(s->exe, sizeof(s->exe), "%s", cand);
			return;
		}
		if (e == EACCES && denied[0] == '\0')
			snprintf(denied, sizeof(denied), "%s", msg);
		if (end == NULL)
			break;
		p = end + 1;
	}
	errno = 0;
	if (denied[0] != '\0')
		ci_fail("exec: \"%s\": %s", name, denied);
	ci_fail("exec: \"%s\": executable file not found in $PATH", name);
}

static void ci_op_seccomp(struct ci_cur *c)
{
	uint32_t flags = ci_u32(c);
	uint32_t n = ci_u32(c);
	ci_need(c, n);
	if (n == 0 || n % 8 != 0 || n / 8 > 0xffff) {
		errno = EINVAL;
		ci_fail("loading seccomp filter");
	}
	// The program's bytes are not aligned for struct sock_filter: copy.
	void *insns = malloc(n);
	if (insns == NULL)
		ci_fail("malloc");
	memcpy(insns, c->p, n);
	c->p += n;
	c->left -= n;
	struct {
		unsigned short len;
		void *filter;
	} prog = { (unsigned short)(n / 8), insns };
	long r = syscall(SYS_seccomp, C_SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (r < 0)
		ci_fail("loading seccomp filter");
	if (r != 0) {
		errno = ESRCH;
		ci_fail("loading seccomp filter");
	}
}

static void ci_op_wait_start(struct ci_state *s, struct ci_cur *c)
{
	uint32_t fd = ci_u32(c);
	char path[64];
	snprintf(path, sizeof(path), "%d/fd/%u", (int)getpid(), fd);
	// The fd is an O_PATH handle on the fifo; opening it for writing through
	// our own procfs blocks until start opens it for reading.
	// (fd/N is a magic link to another mount: openat2's scoped lookups
	// refuse it; this procfs is our own, so plain openat is safe.)
	int w;
	do
		w = openat(s->proc, path, O_WRONLY | O_CLOEXEC);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		ci_fail("opening the exec fifo");
	close((int)fd);
	char b = 0;
	if (write(w, &b, 1) != 1)
		ci_fail("writing the exec fifo");
	// w stays open (close on exec): start reads to EOF.
}

void cinit_run(int sync_fd)
{
	ci_sync = sync_fd;
	uint32_t hdr[2];
	nsenter_read_all(ci_sync, hdr, sizeof(hdr));
	if (hdr[0] != CINIT_MSG_PROGRAM || hdr[1] > CINIT_MAX_PROGRAM) {
		errno = 0;
		ci_fail("init program: bad header (type %#x, %u bytes)", hdr[0], hdr[1]);
	}
	char *prog = malloc(hdr[1] + 1);
	if (prog == NULL)
		ci_fail("malloc");
	nsenter_read_all(ci_sync, prog, hdr[1]);
	if (fcntl(ci_sync, F_SETFD, FD_CLOEXEC) < 0)
		ci_fail("fcntl");
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	struct ci_state s = { .root = -1, .cg = -1, .proc = -1 };
	struct ci_cur all = { prog, hdr[1] };
	while (all.left > 0) {
		uint32_t op = ci_u32(&all);
		uint32_t len = ci_u32(&all);
		ci_need(&all, len);
		struct ci_cur c = { all.p, len };
		all.p += len;
		all.left -= len;
		if (op == CINIT_OP_STEP) {
			snprintf(ci_step, sizeof(ci_step), "%s", ci_str(&c));
			continue;
		}
		ci_what = ci_str(&c);
		switch (op) {
		case CINIT_OP_PROC: ci_op_proc(&s); break;
		case CINIT_OP_ISOLATE: ci_op_isolate(&s, &c); break;
		case CINIT_OP_BIND: ci_op_bind(&s, &c); break;
		case CINIT_OP_FS: ci_op_fs(&s, &c); break;
		case CINIT_OP_CG_LINK: {
			const char *target = ci_str(&c);
			const char *name = ci_str(&c);
			if (symlinkat(target, s.cg, name) < 0 && errno != EEXIST)
				ci_fail("cgroup link %s", name);
			break;
		}
		case CINIT_OP_CG_END: ci_op_cg_end(&s, &c); break;
		case CINIT_OP_MKNOD: ci_op_mknod(&s, &c); break;
		case CINIT_OP_SYMLINK: ci_op_symlink(&s, &c); break;
		case CINIT_OP_PIVOT: ci_op_pivot(&s, &c); break;
		case CINIT_OP_MKDIR: ci_mkdir_p(ci_str(&c)); break;
		case CINIT_OP_READONLY: ci_op_readonly(&c); break;
		case CINIT_OP_MASK: ci_op_mask(&c); break;
		case CINIT_OP_ROOT_ATTR: ci_op_root_attr(&c); break;
		case CINIT_OP_HOSTNAME: {
			const char *host = ci_str(&c);
			const char *domain = ci_str(&c);
			if (host[0] != '\0' && sethostname(host, strlen(host)) < 0)
				ci_fail("hostname %s", host);
			if (domain[0] != '\0' && setdomainname(domain, strlen(domain)) < 0)
				ci_fail("domainname %s", domain);
			break;
		}
		case CINIT_OP_SYSCTL: ci_op_sysctl(&s, &c); break;
		case CINIT_OP_KEYRING: {
			const char *name = ci_str(&c);
			if (syscall(SYS_keyctl, C_KEYCTL_JOIN_SESSION_KEYRING, name, 0, 0, 0) < 0 &&
			    errno != ENOSYS && errno != EACCES && errno != EPERM)
				ci_fail("joining keyring %s", name);
			break;
		}
		case CINIT_OP_RLIMIT: {
			uint32_t res = ci_u32(&c);
			struct rlimit rl = { .rlim_cur = ci_u64(&c), .rlim_max = ci_u64(&c) };
			if (prlimit(0, (int)res, &rl, NULL) < 0)
				ci_fail("%s", "");
			break;
		}
		case CINIT_OP_CHDIR: {
			const char *dir = ci_str(&c);
			if (chdir(dir) < 0)
				ci_fail("process.cwd \"%s\"", dir);
			char got[PATH_MAX];
			if (syscall(SYS_getcwd, got, sizeof(got)) < 0 || got[0] != '/') {
				errno = EPERM;
				ci_fail("process.cwd \"%s\": resolves outside the container", dir);
			}
			break;
		}
		case CINIT_OP_LOOKPATH: ci_op_lookpath(&s, &c); break;
		case CINIT_OP_SECCOMP: ci_op_seccomp(&c); break;
		case CINIT_OP_USER: ci_op_user(&c); break;
		case CINIT_OP_NNP:
			if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
				ci_fail("prctl");
			break;
		case CINIT_OP_CLOSE_FDS: {
			uint32_t first = ci_u32(&c);
			if (syscall(SYS_close_range, first, ~0u, C_CLOSE_RANGE_CLOEXEC) < 0)
				ci_fail("close_range");
			break;
		}
		case CINIT_OP_READY: ci_send(CINIT_MSG_READY, "{}", 2); break;
		case CINIT_OP_WAIT_START: ci_op_wait_start(&s, &c); break;
		case CINIT_OP_EXEC: {
			char **argv = ci_strs(&c);
			char **envp = ci_strs(&c);
			execve(s.exe, argv, envp);
			ci_fail("exec %s", s.exe);
		}
		default:
			errno = 0;
			ci_fail("init program: unknown op %u", op);
		}
		if (c.left != 0) {
			errno = 0;
			ci_fail("init program: op %u has %u bytes too many", op, c.left);
		}
	}
	errno = 0;
	ci_fail("init program ended without exec");
}
