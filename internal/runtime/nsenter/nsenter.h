// Constants shared by nsenter.c and nsenter.go.
#ifndef CAIS_NSENTER_H
#define CAIS_NSENTER_H

#define NSENTER_ENV "_CAIS_NSENTER"
#define NSENTER_MAGIC 0x6e736361u /* "acsn" */
#define NSENTER_MAX_REQUEST 65536
#define NSENTER_MAX_JOIN 8
#define NSENTER_MAX_PATH 4096
#define NSENTER_MAX_ERROR 1024
#define NSENTER_FORK 1u

#define NSENTER_MSG_HELLO 1u
#define NSENTER_MSG_ACK 2u
#define NSENTER_MSG_PID 3u
#define NSENTER_MSG_ERROR 255u

#define NSENTER_EXIT_PROTOCOL 120
#define NSENTER_EXIT_FAILED 121

#include <stddef.h>
// Write or read exactly len bytes, retrying on EINTR; exit with
// NSENTER_EXIT_PROTOCOL if the other side is gone (nsenter.c, shared with
// cinit.c).
void nsenter_write_all(int fd, const void *buf, size_t len);
void nsenter_read_all(int fd, void *buf, size_t len);

#endif
