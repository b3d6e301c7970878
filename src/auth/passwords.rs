//! Password hashing with argon2id (the crate's defaults: m = 19 MiB, t = 2, p = 1).
//!
//! Each hash needs 19 MiB. Requests hash on a fixed set of threads, one per CPU, each reusing
//! its own memory blocks: at most that many hashes run at once (the others queue), and the
//! memory they take is bounded by the number of threads, not by the number of requests. (On
//! actix's blocking pool every thread that ever hashed kept its 19 MiB in its own malloc
//! arena: 40 parallel logins grew the process by over 500 MB.)

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHasher as _, Version};
use prometheus::IntCounter;

use crate::error::{Error, Result};

/// The most memory a stored hash may ask for (64 MiB): a hash with larger parameters is
/// treated as not matching rather than allowed to take more.
const MAX_M_COST: u32 = 64 * 1024;

/// A valid hash of a password nobody knows, with the parameters new hashes get: checked
/// against when the username does not exist, so a wrong username costs the same time as a
/// wrong password.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$3l0BzQ0XxvV4k2xTq9C0eQ$TnV5wjvHDAwHhvZqJLeiXfYvZW6c5sJcy3FEqwVQ4Cg";

/// Hashes a new password on the calling thread (the command line and the demo seeding, one
/// hash each). Requests use `hash`, which queues for the hashing threads.
pub fn hash_now(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| Error::Internal(format!("hashing a password: {e}")))
}

/// Hashes a new password on a hashing thread; `counter` counts it.
pub async fn hash(counter: &IntCounter, password: String) -> Result<String> {
    let counter = counter.clone();
    run(move |memory| {
        counter.inc();
        hash_with(memory, &password)
    })
    .await?
}

/// Checks a password against a stored hash on a hashing thread; `counter` counts the check.
/// False for a wrong password and for a stored value that is not a usable argon2 hash.
pub async fn verify(counter: &IntCounter, password: String, stored_hash: String) -> Result<bool> {
    let counter = counter.clone();
    run(move |memory| {
        counter.inc();
        verify_with(memory, &password, &stored_hash)
    })
    .await
}

type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// Hashes that may wait or run at once, per hashing thread (~50 ms a hash in a release build:
/// the last in a full queue waits about 3 s). Past it a request is refused at once (503 with
/// `Retry-After`) instead of holding its connection and memory in an unbounded queue.
const QUEUED_PER_THREAD: usize = 64;

/// Admission to a bounded queue: a `Ticket` holds one place until it is dropped.
struct Admission {
    held: AtomicUsize,
    limit: usize,
}

struct Ticket<'a>(&'a Admission);

impl Admission {
    const fn new(limit: usize) -> Self {
        Self {
            held: AtomicUsize::new(0),
            limit,
        }
    }

    fn try_enter(&self) -> Option<Ticket<'_>> {
        let before = self.held.fetch_add(1, Ordering::AcqRel);
        if before < self.limit {
            Some(Ticket(self))
        } else {
            self.held.fetch_sub(1, Ordering::AcqRel);
            None
        }
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        self.0.held.fetch_sub(1, Ordering::AcqRel);
    }
}

fn admission() -> &'static Admission {
    static ADMISSION: OnceLock<Admission> = OnceLock::new();
    ADMISSION.get_or_init(|| {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        Admission::new(threads * QUEUED_PER_THREAD)
    })
}

/// The hashing threads' queue.
fn queue() -> &'static Mutex<mpsc::Sender<Job>> {
    static QUEUE: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        for n in 0..threads {
            let receiver = receiver.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("password-hash-{n}"))
                .spawn(move || hashing_thread(&receiver));
            if let Err(error) = spawned {
                tracing::error!(%error, "cannot start a password hashing thread");
            }
        }
        Mutex::new(sender)
    })
}

fn hashing_thread(jobs: &Mutex<mpsc::Receiver<Job>>) {
    // Allocated at the first hash, then reused for every hash this thread runs.
    let mut memory: Vec<Block> = Vec::new();
    loop {
        let job = match jobs.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(&mut memory),
            Err(_) => return,
        }
    }
}

/// Runs `work` on a hashing thread with that thread's memory; waits in the queue when all are
/// busy, and is refused (503) when the queue is full.
async fn run<T: Send + 'static>(
    work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
) -> Result<T> {
    // The ticket travels with the job: its place is given back when the job has run, even if
    // the client went away meanwhile.
    let ticket = admission().try_enter().ok_or_else(|| {
        Error::Unavailable("too many password checks are waiting; retry in a moment".into())
    })?;
    let (reply, answer) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move |memory| {
        let _ = reply.send(work(memory));
        drop(ticket);
    });
    queue()
        .lock()
        .map_err(|_| Error::Internal("the password hashing queue is poisoned".into()))?
        .send(job)
        .map_err(|_| Error::Internal("no password hashing thread is running".into()))?;
    answer
        .await
        .map_err(|_| Error::Internal("a password hashing thread stopped".into()))
}

/// Grows `memory` to the blocks `params` needs (it never shrinks: the next hash reuses it).
fn blocks_for<'m>(memory: &'m mut Vec<Block>, params: &Params) -> &'m mut [Block] {
    let needed = params.block_count();
    if memory.len() < needed {
        memory.resize(needed, Block::default());
    }
    &mut memory[..needed]
}

fn hash_with(memory: &mut Vec<Block>, password: &str) -> Result<String> {
    let failed = |e: &dyn std::fmt::Display| Error::Internal(format!("hashing a password: {e}"));
    let params = Params::default();
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(|e| failed(&e))?;
    let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt_bytes,
            &mut output,
            blocks_for(memory, &params),
        )
        .map_err(|e| failed(&e))?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| failed(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&output).map_err(|e| failed(&e))?),
    };
    Ok(hash.to_string())
}

fn verify_with(memory: &mut Vec<Block>, password: &str, stored_hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored_hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(version), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        parsed
            .version
            .map_or(Ok(Version::default()), Version::try_from),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    if params.m_cost() > MAX_M_COST {
        tracing::warn!(
            m_cost = params.m_cost(),
            "a stored password hash asks for too much memory"
        );
        return false;
    }
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut output = vec![0u8; expected.len()];
    let computed = Argon2::new(algorithm, version, params.clone()).hash_password_into_with_memory(
        password.as_bytes(),
        salt_bytes,
        &mut output,
        blocks_for(memory, &params),
    );
    // `Output`'s equality is constant-time.
    computed.is_ok() && Output::new(&output).is_ok_and(|output| output == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admission_holds_at_most_its_limit_under_contention() {
        let admission = Admission::new(5);
        let admitted = AtomicUsize::new(0);
        let tried = AtomicUsize::new(0);
        let barrier = std::sync::Barrier::new(16);
        std::thread::scope(|scope| {
            for _ in 0..16 {
                scope.spawn(|| {
                    barrier.wait();
                    let ticket = admission.try_enter();
                    if ticket.is_some() {
                        admitted.fetch_add(1, Ordering::SeqCst);
                    }
                    tried.fetch_add(1, Ordering::SeqCst);
                    // Every place stays held until all sixteen have tried.
                    while tried.load(Ordering::SeqCst) < 16 {
                        std::thread::yield_now();
                    }
                    drop(ticket);
                });
            }
        });
        assert_eq!(admitted.load(Ordering::SeqCst), 5, "16 at once, 5 places");
        assert_eq!(
            admission.held.load(Ordering::SeqCst),
            0,
            "every place given back"
        );
        assert!(admission.try_enter().is_some());
    }
    use argon2::PasswordVerifier;

    fn counter() -> IntCounter {
        IntCounter::new("hashes", "hashes").expect("counter")
    }

    #[actix_web::test]
    async fn hashes_verify_and_differ() {
        let hashes = counter();
        let first = hash(&hashes, "correct horse battery".into())
            .await
            .expect("hash");
        let second = hash(&hashes, "correct horse battery".into())
            .await
            .expect("hash");
        assert_ne!(first, second, "salted");
        assert!(first.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            verify(&hashes, "correct horse battery".into(), first.clone())
                .await
                .expect("verify")
        );
        assert!(
            !verify(&hashes, "wrong horse battery".into(), first.clone())
                .await
                .expect("verify")
        );
        assert!(!verify(&hashes, "anything".into(), "not-a-hash".into())
            .await
            .expect("verify"));
        assert_eq!(hashes.get(), 5);
        // The argon2 crate's own hashes and ours check each other.
        let ours = PasswordHash::new(&first).expect("parse");
        assert!(Argon2::default()
            .verify_password(b"correct horse battery", &ours)
            .is_ok());
        let theirs = hash_now("correct horse battery").expect("hash");
        assert!(verify(&hashes, "correct horse battery".into(), theirs)
            .await
            .expect("verify"));
    }

    #[actix_web::test]
    async fn the_dummy_hash_costs_what_a_real_one_does() {
        let dummy = PasswordHash::new(DUMMY_HASH).expect("a valid hash");
        assert_eq!(
            Params::try_from(&dummy).expect("params").block_count(),
            Params::default().block_count()
        );
        assert_eq!(dummy.algorithm, Algorithm::Argon2id.ident());
        assert!(
            !verify(&counter(), "no-such-password".into(), DUMMY_HASH.into())
                .await
                .expect("verify")
        );
    }

    #[test]
    fn greedy_stored_hashes_do_not_match() {
        let mut memory = Vec::new();
        let greedy = "$argon2id$v=19$m=1048576,t=2,p=1$3l0BzQ0XxvV4k2xTq9C0eQ$TnV5wjvHDAwHhvZqJLeiXfYvZW6c5sJcy3FEqwVQ4Cg";
        assert!(!verify_with(&mut memory, "x", greedy));
        assert!(memory.is_empty(), "nothing allocated");
    }
}
