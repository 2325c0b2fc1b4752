//! The directory a generation is opened through: tantivy's memory-mapped directory,
//! readable without write access.
//!
//! tantivy's reader takes a lock while it opens a commit's segments (`META_LOCK`), and
//! takes it by creating a file in the index directory. On a read-only mount, or on an
//! index that belongs to another user, that file cannot be created, and opening failed
//! as though the index were damaged. A search needs no write access, so where the
//! directory refuses the lock file ([`std::io::ErrorKind::PermissionDenied`] or
//! [`std::io::ErrorKind::ReadOnlyFilesystem`]) the reader goes on without it.
//!
//! What that lock guards against is an update's clean-up (tantivy's garbage collection,
//! which takes the same lock) deleting the files of the previous commit while a reader
//! opens them. Whoever cannot create the lock file cannot run that update on the same
//! files either, except another user with more rights; if that race happens, opening
//! fails with a clear error and the next open succeeds.

use std::io;
use std::path::Path;
use std::sync::Arc;

use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, WatchCallback, WatchHandle,
    WritePtr, META_LOCK,
};

/// [`MmapDirectory`], except that the reader's lock is skipped where the directory cannot
/// be written (see the module's documentation).
#[derive(Clone, Debug)]
pub(crate) struct GenerationDirectory(MmapDirectory);

impl GenerationDirectory {
    pub(crate) fn open(path: &Path) -> tantivy::Result<GenerationDirectory> {
        Ok(GenerationDirectory(MmapDirectory::open(path)?))
    }
}

/// Whether `error` says the directory cannot be written to at all (as opposed to a busy
/// lock, or a fault worth reporting).
fn is_unwritable(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
    )
}

impl Directory for GenerationDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        self.0.get_file_handle(path)
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.0.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.0.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.0.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.0.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.0.atomic_write(path, data)
    }

    fn sync_directory(&self) -> io::Result<()> {
        self.0.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        match self.0.acquire_lock(lock) {
            Err(LockError::IoError(error))
                if lock.filepath == META_LOCK.filepath && is_unwritable(&error) =>
            {
                Ok(DirectoryLock::from(Box::new(())))
            }
            result => result,
        }
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.0.watch(watch_callback)
    }
}
