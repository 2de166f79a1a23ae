//! The server under test: one the tester starts from the student's command line (and can stop,
//! kill and start again), or one already running at an address.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::wire::{Conn, Failure};
use crate::{fail, failure};

/// How long a start may take: `cargo run` may have to build first.
const START_TIMEOUT: Duration = Duration::from_secs(180);

/// Where the server comes from.
pub enum Target {
    /// `--addr`: a server already running; the tester can neither restart nor kill it.
    Running(SocketAddr),
    /// `--server`: a command line with `{PORT}` in it, run by `sh -c` where the tester runs (so
    /// relative paths in it work), in a process group of its own, so that stopping it also
    /// stops what it started (`cargo run` starts the server).
    Launched(Launch),
}

/// A server the tester starts.
pub struct Launch {
    template: String,
    extra: Vec<String>,
    dir: PathBuf,
    addr: SocketAddr,
    child: Option<Child>,
    log: PathBuf,
}

/// How to stop a launched server.
#[derive(Clone, Copy)]
pub enum Stop {
    /// The `SHUTDOWN` command, as `redis-cli shutdown` sends it: the server writes out what it
    /// holds and exits (SIGTERM if it has not exited within seconds).
    Gently,
    /// SIGKILL: the process is gone at once, as in a crash or a power cut.
    Kill,
}

impl Target {
    /// The address to connect to.
    pub fn addr(&self) -> SocketAddr {
        match self {
            Target::Running(a) => *a,
            Target::Launched(l) => l.addr,
        }
    }

    /// A new connection.
    pub fn connect(&self, name: &str) -> Result<Conn, Failure> {
        Conn::open(self.addr(), name)
    }

    /// The launched server, for the stages that must restart it; `None` for `--addr`.
    pub fn launched(&mut self) -> Option<&mut Launch> {
        match self {
            Target::Running(_) => None,
            Target::Launched(l) => Some(l),
        }
    }
}

/// A port nobody listens on now (the kernel's choice), for the server to bind.
fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Launch {
    /// Prepares to run `template` with its `{PORT}` filled in; its log, and from stage 11 its
    /// files, go to a scratch directory.
    pub fn new(template: &str) -> Result<Launch, Failure> {
        if !template.contains("{PORT}") {
            return fail!(
                "the --server command must say where to listen: put {{PORT}} in it, e.g. \
                 --server 'cargo run --manifest-path ../my-redis/Cargo.toml -- --port {{PORT}}'"
            );
        }
        let dir = std::env::temp_dir().join(format!("course-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| failure!("creating {}: {e}", dir.display()))?;
        let port = free_port().map_err(|e| failure!("finding a free port: {e}"))?;
        Ok(Launch {
            template: template.to_string(),
            extra: Vec::new(),
            log: dir.join("server.log"),
            dir,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            child: None,
        })
    }

    /// Arguments appended to the command line from the next start on (`--appendonly yes`),
    /// after `--dir` and the scratch directory: the server's files go there, not where the
    /// student runs the tester.
    pub fn set_extra(&mut self, extra: &[&str]) {
        self.extra = vec!["--dir".to_string(), self.dir.display().to_string()];
        self.extra.extend(extra.iter().map(|s| s.to_string()));
    }

    /// The command line as it will run.
    pub fn command_line(&self) -> String {
        let mut line = self
            .template
            .replace("{PORT}", &self.addr.port().to_string());
        for e in &self.extra {
            line.push(' ');
            line.push_str(e);
        }
        line
    }

    /// The last lines the server printed, for a message about a crash or a hang.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(15)..].join("\n    ");
        if tail.is_empty() {
            "(the server printed nothing)".to_string()
        } else {
            format!("the server's last lines:\n    {tail}")
        }
    }

    /// Starts the server and waits until it accepts connections.
    pub fn start(&mut self) -> Result<(), Failure> {
        let line = self.command_line();
        let log = std::fs::File::create(&self.log).map_err(|e| failure!("{e}"))?;
        let err = log.try_clone().map_err(|e| failure!("{e}"))?;
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(&line)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err);
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command
            .spawn()
            .map_err(|e| failure!("could not run `{line}`: {e}"))?;
        eprintln!("  started `{line}`, waiting for port {}", self.addr.port());
        let began = Instant::now();
        loop {
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok()
                && !self.loading()
            {
                self.child = Some(child);
                return Ok(());
            }
            if let Ok(Some(status)) = child.try_wait() {
                return fail!(
                    "`{line}` exited ({status}) before it listened on port {}; {}",
                    self.addr.port(),
                    self.log_tail()
                );
            }
            if began.elapsed() > START_TIMEOUT {
                self.child = Some(child);
                self.stop(Stop::Kill);
                return fail!(
                    "`{line}` did not listen on port {} within {} s; {}",
                    self.addr.port(),
                    START_TIMEOUT.as_secs(),
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// True if the server's process has exited (a crash, as the tester sees it).
    pub fn exited(&mut self) -> Option<String> {
        let child = self.child.as_mut()?;
        match child.try_wait() {
            Ok(Some(status)) => Some(format!("the server exited ({status}); {}", self.log_tail())),
            _ => None,
        }
    }

    /// Stops the server (its whole process group) and waits for it to be gone.
    pub fn stop(&mut self, how: Stop) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if matches!(how, Stop::Gently) && self.shut_down(&mut child) {
            return;
        }
        let signal = match how {
            Stop::Gently => "-TERM",
            Stop::Kill => "-KILL",
        };
        // The group's id is the shell's pid (`process_group(0)`); `kill -SIG -- -pgid` signals
        // every process in it, the server that `cargo run` started included.
        let group = format!("-{}", child.id());
        let _ = Command::new("kill")
            .args([signal, "--", &group])
            .stderr(Stdio::null())
            .status();
        let began = Instant::now();
        while began.elapsed() < Duration::from_secs(10) {
            if matches!(child.try_wait(), Ok(Some(_))) && !self.listening() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = child.wait();
    }

    /// Sends `SHUTDOWN` and waits up to 10 s for the process to exit; false if it did not.
    fn shut_down(&self, child: &mut Child) -> bool {
        let Ok(mut c) = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)) else {
            return false;
        };
        let _ = std::io::Write::write_all(&mut c, b"*1\r\n$8\r\nSHUTDOWN\r\n");
        // A server that knows SHUTDOWN closes the connection without a reply; one that does
        // not answers an error, and gets SIGTERM at once instead.
        let _ = c.set_read_timeout(Some(Duration::from_secs(10)));
        let mut first = [0u8; 1];
        if matches!(std::io::Read::read(&mut c, &mut first), Ok(1)) && first[0] == b'-' {
            return false;
        }
        let began = Instant::now();
        while began.elapsed() < Duration::from_secs(10) {
            if matches!(child.try_wait(), Ok(Some(_))) && !self.listening() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// True if the server answers PING with `-LOADING`: it accepts connections while it reads
    /// its files, as Redis does, and a client should wait. Any other answer, or none within a
    /// second, counts as ready: whether it answers PING right is stage 1's business.
    fn loading(&self) -> bool {
        let Ok(mut c) = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)) else {
            return false;
        };
        let _ = c.set_read_timeout(Some(Duration::from_secs(1)));
        let _ = std::io::Write::write_all(&mut c, b"*1\r\n$4\r\nPING\r\n");
        let mut head = [0u8; 8];
        matches!(std::io::Read::read(&mut c, &mut head), Ok(8)) && &head == b"-LOADING"
    }

    fn listening(&self) -> bool {
        TcpStream::connect_timeout(&self.addr, Duration::from_millis(100)).is_ok()
    }
}

impl Drop for Launch {
    fn drop(&mut self) {
        self.stop(Stop::Kill);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
