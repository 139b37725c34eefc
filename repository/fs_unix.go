package repository

import "syscall"

// syscallENOTDIR: a key whose parent is a file is simply not found.
const syscallENOTDIR = syscall.ENOTDIR
