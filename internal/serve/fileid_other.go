//go:build !unix

package serve

import "os"

// fileID is 0, 0 where os.FileInfo carries no inode (Windows): size and time still apply.
func fileID(fi os.FileInfo) (ino, dev uint64) { return 0, 0 }
