//go:build !unix || aix || (solaris && !illumos)

package filestore

import "context"

// lockSuffix is appended to the token file's path to name the lock file.
const lockSuffix = lckSuffix

// lock uses the portable exclusive-create lock file (see lockfile.go): this
// platform has no flock in package syscall.
func (s *Store) lock(ctx context.Context) (func(), error) {
	return s.lockExclusiveFile(ctx)
}
