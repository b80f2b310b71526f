//! The `surreal` test server starts, serves `/health` and speaks SurrealQL over WebSocket —
//! what the scale-out tests rely on. (Building this test also builds the binary for them.)

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_server_starts_in_memory_and_answers_health() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port");
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_surreal"))
            .args(["start", "--bind", &format!("127.0.0.1:{port}")])
            .args([
                "--user", "root", "--pass", "root", "--log", "warn", "memory",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts"),
    );
    let started = Instant::now();
    loop {
        // A bare HTTP/1.0 request: no client library needed for one status line.
        if let Ok(status) = health_status(port)
            && status.split_whitespace().nth(1) == Some("200")
        {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "never healthy");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn health_status(port: u16) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.write_all(b"GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply)?;
    Ok(reply.lines().next().unwrap_or_default().to_owned())
}
