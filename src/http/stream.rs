//! A request body read as it arrives: the async side receives the chunks, counts them against
//! a limit and hashes them (for `Idempotency-Key`), while a blocking thread parses them through
//! `std::io::Read`. Memory holds a few chunks in flight and what the parser keeps, never the
//! whole body.

use std::io::Read;

use actix_web::web::{Bytes, Payload};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::idempotent::hex;
use crate::error::{Error, FieldError, Result};

/// Chunks in flight between the connection and the parser.
const IN_FLIGHT: usize = 8;

/// A body that sends nothing for this long is dropped (400): a stalled upload must not hold a
/// batch slot and its parser thread.
const IDLE: std::time::Duration = std::time::Duration::from_secs(30);

/// The blocking side: the body's bytes in order, then end of file.
pub struct BodyReader {
    chunks: tokio::sync::mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

/// Parses the body with `parse` on a blocking thread as it arrives, at most `limit` bytes
/// (413 past it, whatever the parser made of the part it saw); returns what `parse` made and
/// the SHA-256 (hex) of the whole body.
pub async fn parse_streaming<T, F>(
    mut payload: Payload,
    limit: usize,
    parse: F,
) -> Result<(T, String)>
where
    T: Send + 'static,
    F: FnOnce(BodyReader) -> Result<T> + Send + 'static,
{
    let (sender, chunks) = tokio::sync::mpsc::channel(IN_FLIGHT);
    let span = tracing::Span::current();
    let parser = actix_web::rt::task::spawn_blocking(move || {
        let _entered = span.enter();
        parse(BodyReader {
            chunks,
            current: Bytes::new(),
        })
    });
    let mut hasher = Sha256::new();
    let mut total = 0usize;
    let mut failure = None;
    loop {
        let next = match actix_web::rt::time::timeout(IDLE, payload.next()).await {
            Ok(next) => next,
            Err(_) => {
                failure = Some(Error::bad_request(
                    "the request body stopped arriving",
                    vec![FieldError::new(
                        "body",
                        format!(
                            "nothing arrived for {} s; send the body without pauses",
                            IDLE.as_secs()
                        ),
                    )],
                ));
                break;
            }
        };
        let Some(chunk) = next else {
            break;
        };
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(error) => {
                failure = Some(Error::bad_request(
                    "the request body could not be read",
                    vec![FieldError::new("body", error.to_string())],
                ));
                break;
            }
        };
        total += chunk.len();
        if total > limit {
            failure = Some(Error::PayloadTooLarge { limit });
            break;
        }
        hasher.update(&chunk);
        if sender.send(chunk).await.is_err() {
            // The parser stopped early: its error is the answer.
            break;
        }
    }
    drop(sender);
    let parsed = parser
        .await
        .map_err(|e| Error::Internal(format!("the body parser failed: {e}")))?;
    if let Some(failure) = failure {
        return Err(failure);
    }
    Ok((parsed?, hex(&hasher.finalize())))
}
