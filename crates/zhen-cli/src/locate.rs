//! Where the default documents and index live.

use std::path::{Path, PathBuf};

/// The index directory a command uses, and whether it is the default one (which zhen
/// may build by itself).
pub struct IndexLocation {
    pub dir: PathBuf,
    pub is_default: bool,
}

impl IndexLocation {
    /// `--index DIR`, else `$ZHEN_INDEX`, else `index-data/index`.
    pub fn resolve(flag: Option<PathBuf>) -> IndexLocation {
        if let Some(dir) = flag {
            return IndexLocation {
                dir,
                is_default: false,
            };
        }
        if let Some(dir) = std::env::var_os("ZHEN_INDEX").filter(|v| !v.is_empty()) {
            return IndexLocation {
                dir: dir.into(),
                is_default: false,
            };
        }
        IndexLocation {
            dir: data_dir().join("index"),
            is_default: true,
        }
    }
}

/// `index-data/` in the current directory; failing that, the one of the checkout this
/// binary was built from, so `zhen search` works from any directory of a fresh clone.
pub fn data_dir() -> PathBuf {
    let local = PathBuf::from("index-data");
    if local.is_dir() {
        return local;
    }
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../index-data");
    if checkout.is_dir() {
        return checkout.canonicalize().unwrap_or(checkout);
    }
    local
}
