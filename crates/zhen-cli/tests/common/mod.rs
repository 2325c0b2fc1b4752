//! What the CLI test files share.

use assert_cmd::Command;

/// The `zhen` binary, with none of the environment that would change what it does
/// (`ZHEN_INDEX` picks another index, `NO_COLOR` turns colour off).
pub fn zhen() -> Command {
    let mut cmd = Command::cargo_bin("zhen").unwrap();
    cmd.env_remove("ZHEN_INDEX").env_remove("NO_COLOR");
    cmd
}
