//! ACL users that outlive the server: the ACL file (`ACL SAVE`, `ACL LOAD`, `aclfile` at
//! start-up) and `user` lines in the config file. The file's format and the error texts are
//! Redis 7.0.15's; the replies to the same commands are compared with a real Redis in
//! `tests/acl_diff.rs`, which cannot give a real Redis an ACL file of its own.

mod common;

use common::*;

#[test]
fn acl_save_writes_every_user_and_acl_load_reads_them_back() {
    let dir = TempDir::new();
    let path = dir.0.join("users.acl");
    // As in Redis, the file must exist for the server to start: an empty one holds no users.
    std::fs::write(&path, "").unwrap();
    let file = path.display().to_string();
    let s = start_with(|c| c.set("aclfile", &file).unwrap());
    let mut c = s.client();
    c.assert(
        &[
            "ACL",
            "SETUSER",
            "alice",
            "on",
            ">pw",
            "~a:*",
            "&n",
            "+get",
            "(+set ~b:*)",
        ],
        "+OK\r\n",
    );
    c.assert(&["ACL", "SAVE"], "+OK\r\n");
    let saved = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        saved,
        "user alice on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~a:* \
         resetchannels &n -@all +get (~b:* resetchannels -@all +set)\n\
         user default on nopass ~* &* +@all\n"
    );
    // A user logged in when the file is loaded again must log in again, as in Redis.
    let mut alice = s.client();
    alice.assert(&["AUTH", "alice", "pw"], "+OK\r\n");
    c.assert(&["ACL", "DELUSER", "alice"], ":1\r\n");
    assert!(alice.is_closed());
    c.assert(&["ACL", "LOAD"], "+OK\r\n");
    c.assert(&["ACL", "USERS"], "*2\r\n$5\r\nalice\r\n$7\r\ndefault\r\n");
    let mut again = s.client();
    again.assert(&["AUTH", "alice", "pw"], "+OK\r\n");
    again.assert(&["GET", "a:1"], "$-1\r\n");
    again.assert(&["SET", "b:1", "v"], "+OK\r\n");
    c.assert(&["ACL", "LOAD"], "+OK\r\n");
    assert!(again.is_closed());
    // A file with mistakes changes nothing, and says every mistake with its line.
    std::fs::write(&path, "user bob on +nosuch\nnot a user line\nuser bob on\n").unwrap();
    c.assert(
        &["ACL", "LOAD"],
        &format!(
            "-ERR {file}:1: Unknown command or category name in ACL. {file}:2 should start with \
             user keyword followed by the username. WARNING: Duplicate user 'bob' found on line \
             3. WARNING: ACL errors detected, no change to the previously active ACL rules was \
             performed\r\n"
        ),
    );
    c.assert(&["ACL", "USERS"], "*2\r\n$5\r\nalice\r\n$7\r\ndefault\r\n");
    std::fs::remove_file(&path).unwrap();
    let reply = String::from_utf8_lossy(&c.cmd(&["ACL", "LOAD"])).into_owned();
    assert!(
        reply.starts_with(&format!("-ERR Error loading ACLs, opening file '{file}': ")),
        "{reply}"
    );
}

#[test]
fn users_come_from_the_acl_file_or_the_config_file_at_start_up() {
    let dir = TempDir::new();
    let path = dir.0.join("users.acl");
    std::fs::write(&path, "user carol on nopass ~* +@read\n").unwrap();
    let file = path.display().to_string();
    let s = start_with(|c| c.set("aclfile", &file).unwrap());
    let mut c = s.client();
    c.assert(&["AUTH", "carol", "x"], "+OK\r\n");
    c.assert(
        &["SET", "k", "v"],
        "-NOPERM this user has no permissions to run the 'set' command\r\n",
    );
    drop(s);

    let s = start_with(|c| {
        c.load_file_text("user dave on >pw ~d:* +@all\nuser default on nopass ~* +@all -flushall\n")
            .unwrap()
    });
    let mut c = s.client();
    c.assert(
        &["FLUSHALL"],
        "-NOPERM this user has no permissions to run the 'flushall' command\r\n",
    );
    c.assert(&["AUTH", "dave", "pw"], "+OK\r\n");
    c.assert(
        &["GET", "e"],
        "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n",
    );
    // Both at once is refused, as in Redis: the two would disagree on who exists.
    let both = rust_redis::server::start({
        let dir = TempDir::new();
        let mut config = test_config(&dir);
        config.set("aclfile", &file).unwrap();
        config.load_file_text("user erin on\n").unwrap();
        config
    });
    assert!(both.is_err());
}

#[test]
fn requirepass_is_the_default_users_password() {
    let s = start_with(|c| c.requirepass = Some(b"secret".to_vec()));
    let mut c = s.client();
    c.assert(&["GET", "k"], "-NOAUTH Authentication required.\r\n");
    c.assert(&["AUTH", "default", "secret"], "+OK\r\n");
    c.assert(
        &["ACL", "LIST"],
        "*1\r\n$93\r\nuser default on #2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b ~* \
         &* +@all\r\n",
    );
    c.assert(&["CONFIG", "SET", "requirepass", ""], "+OK\r\n");
    c.assert(
        &["ACL", "LIST"],
        "*1\r\n$34\r\nuser default on nopass ~* &* +@all\r\n",
    );
    let mut fresh = s.client();
    fresh.assert(&["ACL", "WHOAMI"], "$7\r\ndefault\r\n");
}
