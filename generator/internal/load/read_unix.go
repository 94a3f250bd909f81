//go:build unix

package load

import (
	"fmt"
	"syscall"
)

// readFile reads up to limit bytes of the file at path into buf (which it
// may grow) and returns the bytes. It uses the system calls directly:
// os.Open registers every file with the runtime's poller and stats it,
// which costs more than reading a definition does.
func readFile(path string, limit int, buf []byte) ([]byte, error) {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("cannot open: %s", errnoText(err))
	}
	defer syscall.Close(fd)
	buf = buf[:0]
	for len(buf) < limit {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := syscall.Read(fd, buf[len(buf):min(cap(buf), limit)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read: %s", errnoText(err))
		}
		if n == 0 {
			break
		}
		buf = buf[:len(buf)+n]
	}
	return buf, nil
}

func errnoText(err error) string {
	switch err {
	case syscall.ENOENT:
		return "no such file or directory"
	case syscall.EACCES, syscall.EPERM:
		return "permission denied"
	case syscall.ELOOP:
		return "symlink loop: too many levels of symbolic links"
	case syscall.EISDIR:
		return "is a directory"
	}
	return err.Error()
}
