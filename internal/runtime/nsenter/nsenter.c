// The C half of package nsenter: a constructor that runs before the Go
// runtime starts any thread, when the binary was started as a container's
// init (or an exec'd process) by cais-runtime. See doc.go for why it exists.
//
// Wire format on the socket named by _CAIS_NSENTER (all integers little
// endian, as on every Linux target cais supports):
//
//   request (parent -> here):  u32 magic, u32 length, then `length` bytes:
//       u32 clone_flags   namespaces to create (CLONE_NEW*)
//       u32 flags         NSENTER_FORK: always fork before returning;
//                         NSENTER_CINIT: then run the program cinit.c reads
//       u32 njoin         namespaces to join, then njoin times:
//           u32 nstype, u32 pathlen, pathlen bytes of path (no NUL)
//       u32 ntimens       then for each: u32 clock id, s64 sec, s64 nsec
//   messages (here -> parent): u32 type, u32 length, payload
//       MSG_HELLO  payload s32 pid: the process that will become init
//                  (already in its new user namespace); the parent moves it
//                  into the cgroup and writes its id maps, then answers
//                  MSG_ACK (no payload).
//       MSG_PID    payload s32 pid: the final process, as seen by the parent.
//       MSG_ERROR  payload: a message naming the failed step and errno.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nsenter.h"
#include "cinit.h"

void cinit_run(int sync_fd) __attribute__((noreturn));

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

static int sync_fd = -1;

void nsenter_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(NSENTER_EXIT_PROTOCOL);
		p += n;
		len -= (size_t)n;
	}
}

void nsenter_read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(NSENTER_EXIT_PROTOCOL);
		p += n;
		len -= (size_t)n;
	}
}

static void send_msg(uint32_t type, const void *payload, uint32_t len)
{
	uint32_t hdr[2] = { type, len };
	nsenter_write_all(sync_fd, hdr, sizeof(hdr));
	if (len > 0)
		nsenter_write_all(sync_fd, payload, len);
}

static void send_pid(uint32_t type, pid_t pid)
{
	int32_t p = pid;
	send_msg(type, &p, sizeof(p));
}

__attribute__((noreturn, format(printf, 1, 2)))
static void fail(const char *fmt, ...)
{
	char buf[NSENTER_MAX_ERROR];
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (saved != 0)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, ": %s", strerror(saved));
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	send_msg(NSENTER_MSG_ERROR, buf, (uint32_t)n);
	_exit(NSENTER_EXIT_FAILED);
}

// A bounded reader over the request payload: every read is checked against
// what is left, so a short or lying request fails instead of overrunning.
struct cursor {
	const char *p;
	uint32_t left;
};

static uint32_t take_u32(struct cursor *c)
{
	uint32_t v;
	if (c->left < sizeof(v)) {
		errno = 0;
		fail("nsenter: request truncated");
	}
	memcpy(&v, c->p, sizeof(v));
	c->p += sizeof(v);
	c->left -= sizeof(v);
	return v;
}

static int64_t take_s64(struct cursor *c)
{
	int64_t v;
	if (c->left < sizeof(v)) {
		errno = 0;
		fail("nsenter: request truncated");
	}
	memcpy(&v, c->p, sizeof(v));
	c->p += sizeof(v);
	c->left -= sizeof(v);
	return v;
}

static const char *nsname(uint32_t t)
{
	switch (t) {
	case CLONE_NEWUSER: return "user";
	case CLONE_NEWNS: return "mount";
	case CLONE_NEWNET: return "network";
	case CLONE_NEWIPC: return "ipc";
	case CLONE_NEWUTS: return "uts";
	case CLONE_NEWPID: return "pid";
	case CLONE_NEWCGROUP: return "cgroup";
	case CLONE_NEWTIME: return "time";
	}
	return "unknown";
}

struct join {
	uint32_t type;
	int fd;
	char path[NSENTER_MAX_PATH + 1];
};

// write_timens_offsets writes the offsets of the new time namespace. /proc
// here is still the host's (nothing of the container is mounted yet), and
// the file is checked to be on procfs before writing.
static void write_timens_offsets(struct cursor *c, uint32_t n)
{
	char buf[64 * 2 + 1];
	size_t used = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t clock = take_u32(c);
		int64_t sec = take_s64(c), nsec = take_s64(c);
		int k = snprintf(buf + used, sizeof(buf) - used, "%u %lld %lld\n", clock, (long long)sec, (long long)nsec);
		if (k < 0 || (size_t)k >= sizeof(buf) - used) {
			errno = 0;
			fail("nsenter: too many time offsets");
		}
		used += (size_t)k;
	}
	if (used == 0)
		return;
	int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		fail("nsenter: open /proc/self/timens_offsets");
	struct statfs st;
	if (fstatfs(fd, &st) < 0 || st.f_type != PROC_SUPER_MAGIC) {
		errno = 0;
		fail("nsenter: /proc/self/timens_offsets is not on procfs");
	}
	if (write(fd, buf, used) != (ssize_t)used)
		fail("nsenter: write linux.timeOffsets");
	close(fd);
}

__attribute__((constructor)) static void cais_nsenter(void)
{
	const char *env = getenv(NSENTER_ENV);
	if (env == NULL || *env == '\0')
		return;
	char *end;
	long fd = strtol(env, &end, 10);
	if (*end != '\0' || fd < 3 || fd > 1 << 20)
		_exit(NSENTER_EXIT_PROTOCOL);
	sync_fd = (int)fd;

	// Not dumpable until the user's program is exec'd: nothing in the
	// container may ptrace or open /proc/PID/ files of the runtime in it.
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fail("nsenter: prctl(PR_SET_DUMPABLE)");

	uint32_t hdr[2];
	nsenter_read_all(sync_fd, hdr, sizeof(hdr));
	if (hdr[0] != NSENTER_MAGIC || hdr[1] > NSENTER_MAX_REQUEST) {
		errno = 0;
		fail("nsenter: bad request header");
	}
	char *req = malloc(hdr[1] + 1);
	if (req == NULL)
		fail("nsenter: malloc");
	nsenter_read_all(sync_fd, req, hdr[1]);
	struct cursor c = { req, hdr[1] };

	uint32_t clone_flags = take_u32(&c);
	uint32_t flags = take_u32(&c);
	uint32_t njoin = take_u32(&c);
	if (njoin > NSENTER_MAX_JOIN) {
		errno = 0;
		fail("nsenter: %u namespaces to join, at most %d", njoin, NSENTER_MAX_JOIN);
	}
	struct join joins[NSENTER_MAX_JOIN];
	// Open every path first: joining a mount namespace changes what the
	// later paths would resolve to.
	for (uint32_t i = 0; i < njoin; i++) {
		joins[i].type = take_u32(&c);
		uint32_t len = take_u32(&c);
		if (len == 0 || len > NSENTER_MAX_PATH || len > c.left) {
			errno = 0;
			fail("nsenter: bad namespace path length %u", len);
		}
		memcpy(joins[i].path, c.p, len);
		joins[i].path[len] = '\0';
		c.p += len;
		c.left -= len;
		joins[i].fd = open(joins[i].path, O_RDONLY | O_CLOEXEC);
		if (joins[i].fd < 0)
			fail("nsenter: open %s namespace %s", nsname(joins[i].type), joins[i].path);
	}
	// A user namespace first, so the others are joined with its privileges.
	for (uint32_t i = 0; i < njoin; i++)
		if (joins[i].type == CLONE_NEWUSER && setns(joins[i].fd, CLONE_NEWUSER) < 0)
			fail("nsenter: join user namespace %s", joins[i].path);
	for (uint32_t i = 0; i < njoin; i++) {
		if (joins[i].type != CLONE_NEWUSER && setns(joins[i].fd, (int)joins[i].type) < 0)
			fail("nsenter: join %s namespace %s", nsname(joins[i].type), joins[i].path);
		close(joins[i].fd);
	}

	if ((clone_flags & CLONE_NEWUSER) && unshare(CLONE_NEWUSER) < 0)
		fail("nsenter: create user namespace");
	// The parent moves us into the cgroup (before a cgroup namespace is made,
	// so that it is rooted there) and writes the id maps.
	send_pid(NSENTER_MSG_HELLO, getpid());
	uint32_t ack[2];
	nsenter_read_all(sync_fd, ack, sizeof(ack));
	if (ack[0] != NSENTER_MSG_ACK || ack[1] != 0) {
		errno = 0;
		fail("nsenter: expected ack from the runtime, got message %u", ack[0]);
	}
	if (clone_flags & CLONE_NEWUSER) {
		if (setresgid(0, 0, 0) < 0)
			fail("nsenter: setresgid(0) in the new user namespace");
		if (setresuid(0, 0, 0) < 0)
			fail("nsenter: setresuid(0) in the new user namespace");
	}
	uint32_t rest = clone_flags & ~(uint32_t)CLONE_NEWUSER;
	if (rest != 0 && unshare((int)rest) < 0)
		fail("nsenter: create namespaces (flags %#x)", rest);
	uint32_t ntime = take_u32(&c);
	if (clone_flags & CLONE_NEWTIME)
		write_timens_offsets(&c, ntime);
	free(req);

	// A new pid or time namespace applies to children only, and so does a
	// joined pid namespace: the process that runs the container is a child.
	int joined_pid = 0;
	for (uint32_t i = 0; i < njoin; i++)
		joined_pid |= joins[i].type == CLONE_NEWPID || joins[i].type == CLONE_NEWTIME;
	if ((clone_flags & (CLONE_NEWPID | CLONE_NEWTIME)) || joined_pid || (flags & NSENTER_FORK)) {
		pid_t child = fork();
		if (child < 0)
			fail("nsenter: fork into the new namespaces");
		if (child > 0) {
			send_pid(NSENTER_MSG_PID, child);
			_exit(0);
		}
	} else {
		send_pid(NSENTER_MSG_PID, getpid());
	}
	// With NSENTER_CINIT the runtime sends a compiled program (cinit.c)
	// that ends in execve; otherwise return to the Go runtime, which
	// continues as the container's init.
	if (flags & NSENTER_CINIT)
		cinit_run(sync_fd);
}
