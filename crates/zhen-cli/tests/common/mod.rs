//! What the CLI test files share.

use std::path::Path;

use assert_cmd::Command;

/// The `zhen` binary, with none of the environment that would change what it does
/// (`ZHEN_INDEX` picks another index, `NO_COLOR` turns colour off).
pub fn zhen() -> Command {
    let mut cmd = Command::cargo_bin("zhen").unwrap();
    cmd.env_remove("ZHEN_INDEX").env_remove("NO_COLOR");
    cmd
}

/// The standard output of `zhen search --index INDEX ARGS...`, which must succeed (its
/// stderr is the message if it does not).
pub fn search_stdout(index: &Path, args: &[&str]) -> Vec<u8> {
    let out = zhen()
        .args(["search", "--index"])
        .arg(index)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
