package nsenter

/*
#include "cinit.h"
*/
import "C"

// The C init's program format (cinit.h is the source of truth; package
// cinit compiles configs into it).
const (
	MsgProgram = uint32(C.CINIT_MSG_PROGRAM)
	MaxProgram = C.CINIT_MAX_PROGRAM

	OpStep      = uint32(C.CINIT_OP_STEP)
	OpProc      = uint32(C.CINIT_OP_PROC)
	OpIsolate   = uint32(C.CINIT_OP_ISOLATE)
	OpBind      = uint32(C.CINIT_OP_BIND)
	OpFS        = uint32(C.CINIT_OP_FS)
	OpCgLink    = uint32(C.CINIT_OP_CG_LINK)
	OpCgEnd     = uint32(C.CINIT_OP_CG_END)
	OpMknod     = uint32(C.CINIT_OP_MKNOD)
	OpSymlink   = uint32(C.CINIT_OP_SYMLINK)
	OpPivot     = uint32(C.CINIT_OP_PIVOT)
	OpMkdir     = uint32(C.CINIT_OP_MKDIR)
	OpReadonly  = uint32(C.CINIT_OP_READONLY)
	OpMask      = uint32(C.CINIT_OP_MASK)
	OpRootAttr  = uint32(C.CINIT_OP_ROOT_ATTR)
	OpHostname  = uint32(C.CINIT_OP_HOSTNAME)
	OpSysctl    = uint32(C.CINIT_OP_SYSCTL)
	OpKeyring   = uint32(C.CINIT_OP_KEYRING)
	OpRlimit    = uint32(C.CINIT_OP_RLIMIT)
	OpChdir     = uint32(C.CINIT_OP_CHDIR)
	OpLookPath  = uint32(C.CINIT_OP_LOOKPATH)
	OpSeccomp   = uint32(C.CINIT_OP_SECCOMP)
	OpUser      = uint32(C.CINIT_OP_USER)
	OpNNP       = uint32(C.CINIT_OP_NNP)
	OpCloseFDs  = uint32(C.CINIT_OP_CLOSE_FDS)
	OpReady     = uint32(C.CINIT_OP_READY)
	OpWaitStart = uint32(C.CINIT_OP_WAIT_START)
	OpExec      = uint32(C.CINIT_OP_EXEC)

	FlagRec       = uint32(C.CINIT_REC)
	FlagProtected = uint32(C.CINIT_PROTECTED)
	FlagInCgroup  = uint32(C.CINIT_IN_CG)
	FlagCgroupTop = uint32(C.CINIT_CG_TOP)
	FlagDirSource = uint32(C.CINIT_DIR_SRC)
)
