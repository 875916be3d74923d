//! `sanso demo --send ADDR --rate N`: the run, sent to a syslog listener at a steady pace.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::{Instant, sleep};

use super::generate::{DemoSpec, generate};
use super::line::DemoLine;

/// How lines travel to the listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// One TCP connection, each line ended by `\n` (RFC 6587 non-transparent framing).
    Tcp,
    /// One datagram per line, no terminator (RFC 5426).
    Udp,
}

/// Pacing granularity. Sleeping per line would cap the rate near the timer resolution
/// (about 1 000 lines a second); sending what is due every 10 ms reaches hundreds of
/// thousands.
const TICK: Duration = Duration::from_millis(10);

/// Lines written between flushes when unpaced, so a reader still sees steady progress.
const UNPACED_BATCH: u64 = 4096;

/// Sends the run of `spec` to `addr` in its wire form ([`DemoLine::to_syslog`]), at
/// `rate_per_sec` lines a second (0: as fast as the connection takes them), and returns
/// how many lines were sent.
///
/// The pace is kept against the start time, not per tick, so it does not drift: a late
/// tick sends more. A line is never sent before the moment it is stamped with, as no
/// device logs what has not happened yet: a feed that starts now (`sanso run --demo`)
/// follows the clock when the simulated city is quieter than `rate_per_sec` (at night,
/// on holidays), instead of running ahead of it and looking like skewed clocks. A feed
/// that starts in the past is sent at `rate_per_sec` until it catches up with now. Over TCP the writer flushes after every tick's batch and waits when
/// the receiver applies back-pressure; over UDP nothing waits, and what the receiver
/// cannot keep up with is lost, as with any syslog over UDP.
///
/// # Errors
///
/// Connection and write errors, including a UDP receiver that is not listening (the
/// refusal surfaces on a later send).
///
/// [`DemoLine::to_syslog`]: super::DemoLine::to_syslog
pub async fn send(
    spec: &DemoSpec,
    addr: SocketAddr,
    transport: Transport,
    rate_per_sec: u32,
) -> io::Result<u64> {
    let mut lines = generate(spec);
    let mut pacer = Pacer {
        rate: rate_per_sec,
        started: Instant::now(),
        sent: 0,
    };
    match transport {
        Transport::Tcp => {
            let stream = TcpStream::connect(addr).await?;
            // Lines are small; Nagle would only add latency to the last line of a tick.
            stream.set_nodelay(true)?;
            let mut out = BufWriter::with_capacity(1 << 16, stream);
            loop {
                let due = pacer.due().await;
                let mut batch = 0;
                for line in lines
                    .by_ref()
                    .take(usize::try_from(due).unwrap_or(usize::MAX))
                {
                    if let Some(ahead) = ahead_of_now(&line) {
                        out.flush().await?;
                        sleep(ahead).await;
                    }
                    let mut wire = line.to_syslog();
                    wire.push('\n');
                    out.write_all(wire.as_bytes()).await?;
                    batch += 1;
                }
                out.flush().await?;
                if batch == 0 {
                    break;
                }
                pacer.sent += batch;
            }
            out.into_inner().shutdown().await?;
        }
        Transport::Udp => {
            let local: SocketAddr = if addr.is_ipv4() {
                (Ipv4Addr::UNSPECIFIED, 0).into()
            } else {
                (Ipv6Addr::UNSPECIFIED, 0).into()
            };
            let socket = UdpSocket::bind(local).await?;
            socket.connect(addr).await?;
            loop {
                let due = pacer.due().await;
                let mut batch = 0;
                for line in lines
                    .by_ref()
                    .take(usize::try_from(due).unwrap_or(usize::MAX))
                {
                    if let Some(ahead) = ahead_of_now(&line) {
                        sleep(ahead).await;
                    }
                    socket.send(line.to_syslog().as_bytes()).await?;
                    batch += 1;
                }
                if batch == 0 {
                    break;
                }
                pacer.sent += batch;
            }
        }
    }
    Ok(pacer.sent)
}

/// How long until `line` has happened, if it is stamped in the future.
fn ahead_of_now(line: &DemoLine) -> Option<Duration> {
    (line.time - chrono::Utc::now()).to_std().ok()
}

/// Keeps the send rate.
struct Pacer {
    /// Lines a second; 0 for no pacing.
    rate: u32,
    started: Instant,
    sent: u64,
}

impl Pacer {
    /// How many lines are due now, waiting tick by tick until at least one is.
    async fn due(&self) -> u64 {
        if self.rate == 0 {
            return UNPACED_BATCH;
        }
        loop {
            let elapsed = self.started.elapsed().as_micros();
            let allowed = u128::from(self.rate) * elapsed / 1_000_000;
            let allowed = u64::try_from(allowed).unwrap_or(u64::MAX);
            if allowed > self.sent {
                return allowed - self.sent;
            }
            sleep(TICK).await;
        }
    }
}
