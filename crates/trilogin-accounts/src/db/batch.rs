//! Group commit for SQLite: the process's writes share write transactions.
//!
//! SQLite lets one connection write at a time, and each write transaction
//! pays for itself: the file locks, the WAL frames of every page it
//! touched, and the checkpoints that WAL growth brings. Most of a login's
//! cost was that, twice (the pending login, then the new session). And
//! threads that want the lock at once wait for it in SQLite's busy
//! handler, which sleeps (1, 2, 5, 10 ms…) rather than waking when the
//! lock is free. Here one thread owns one connection and takes every write
//! that is waiting when it is free: `BEGIN IMMEDIATE`, each write in a
//! savepoint of its own, one `COMMIT`. A write alone is committed at once;
//! under load a commit carries dozens, and the pages they share are
//! written once.
//!
//! Each write keeps its own outcome: one that fails is rolled back to its
//! savepoint and returns its error, the others go on. Nobody hears
//! "committed" before the commit: a failed commit fails every write of the
//! batch, and a panicking write rolls the whole batch back (the
//! connection is dropped, and with it the open transaction).
//!
//! PostgreSQL gains nothing from this (its writers do not share one lock),
//! so [`write`](super::write) sends its writes to the pool there.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use diesel::connection::TransactionManager as _;
use diesel::r2d2::ManageConnection as _;
use tokio::sync::{mpsc, oneshot};

use super::backend::{AnyConnection, Manager, begin_write, transaction_depth};
use super::{Conn, QueryError};

/// Writes waiting at most; a request that finds the queue full waits for room.
const QUEUE: usize = 1024;

/// Writes in one transaction at most, so that a long queue still commits
/// (and answers) in steps.
const MAX_BATCH: usize = 64;

/// A write waiting in the queue.
trait Queued: Send {
    /// Runs the write's queries in a savepoint; returns what to tell its
    /// caller once the batch's fate is known.
    fn run(self: Box<Self>, conn: &mut Conn) -> Reply;
    /// Tells the caller the write was never run, and why.
    fn refuse(self: Box<Self>, why: Arc<str>);
}

type Job = Box<dyn Queued>;
type Reply = Box<dyn FnOnce(Result<(), Arc<str>>) + Send>;

struct Pending<F, T> {
    queries: F,
    tell: oneshot::Sender<anyhow::Result<T>>,
}

impl<F, T, E> Queued for Pending<F, T>
where
    F: FnOnce(&mut Conn) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<QueryError> + std::error::Error + Send + Sync + 'static,
{
    fn run(self: Box<Self>, conn: &mut Conn) -> Reply {
        let Self { queries, tell } = *self;
        let outcome = diesel::Connection::transaction(conn, queries);
        Box::new(move |committed| {
            let result = match (committed, outcome) {
                (Ok(()), outcome) => outcome.map_err(anyhow::Error::from),
                // Its own failure explains more than the batch's.
                (Err(_), Err(own)) => Err(own.into()),
                (Err(batch), Ok(_)) => Err(anyhow::anyhow!("{batch}")),
            };
            let _ = tell.send(result);
        })
    }

    fn refuse(self: Box<Self>, why: Arc<str>) {
        let _ = self.tell.send(Err(anyhow::anyhow!("{why}")));
    }
}

/// The queue of the writer thread of one SQLite database.
#[derive(Debug, Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer thread, with a connection of its own from
    /// `manager`. The thread ends when the last `Writer` is dropped.
    pub fn start(manager: Manager) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel(QUEUE);
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(&manager, queue))?;
        Ok(Self { jobs })
    }

    /// Runs `queries` in the next batch and returns their result once the
    /// batch is committed (or their error, after their savepoint was
    /// rolled back).
    pub async fn write<T, E, F>(&self, queries: F) -> anyhow::Result<T>
    where
        F: FnOnce(&mut Conn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<QueryError> + std::error::Error + Send + Sync + 'static,
    {
        let (tell, told) = oneshot::channel();
        self.jobs
            .send(Box::new(Pending { queries, tell }))
            .await
            .map_err(|_| anyhow::anyhow!("the database writer has stopped"))?;
        told.await.map_err(|_| {
            anyhow::anyhow!("the write was rolled back: another write of its batch panicked")
        })?
    }
}

fn run(manager: &Manager, mut queue: mpsc::Receiver<Job>) {
    let mut conn: Option<AnyConnection> = None;
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.blocking_recv_many(&mut batch, MAX_BATCH) > 0 {
        let jobs = std::mem::take(&mut batch);
        let c = match conn.take().map_or_else(|| manager.connect(), Ok) {
            Ok(c) => c,
            Err(e) => {
                fail_all(jobs, &format!("cannot open the database: {e}"));
                continue;
            }
        };
        // A panic drops the connection mid-transaction, which rolls it back;
        // the replies not yet given are dropped, so their callers hear of it.
        if let Ok(c) = catch_unwind(AssertUnwindSafe(move || commit_batch(c, jobs))) {
            conn = c;
        } else {
            tracing::error!("a database write panicked; its batch was rolled back");
        }
    }
}

/// Runs `jobs` in one transaction and answers them; gives the connection
/// back unless it is unfit for another batch.
fn commit_batch(mut conn: AnyConnection, jobs: Vec<Job>) -> Option<AnyConnection> {
    if let Err(e) = begin_write(&mut conn) {
        fail_all(jobs, &format!("cannot begin a write transaction: {e}"));
        return fit(conn);
    }
    let replies: Vec<Reply> = jobs.into_iter().map(|job| job.run(&mut conn)).collect();
    let committed =
        match <AnyConnection as diesel::Connection>::TransactionManager::commit_transaction(
            &mut conn,
        ) {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ =
                    <AnyConnection as diesel::Connection>::TransactionManager::rollback_transaction(
                        &mut conn,
                    );
                Err(Arc::from(format!("the write was not committed: {e}")))
            }
        };
    for reply in replies {
        reply(committed.clone());
    }
    fit(conn)
}

/// The connection, if no transaction is left open on it.
fn fit(mut conn: AnyConnection) -> Option<AnyConnection> {
    let closed = transaction_depth(&mut conn).is_ok_and(|depth| depth.is_none());
    closed.then_some(conn)
}

fn fail_all(jobs: Vec<Job>, why: &str) {
    tracing::error!(error = %why, writes = jobs.len(), "database writes failed");
    let why: Arc<str> = Arc::from(why);
    for job in jobs {
        job.refuse(why.clone());
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use diesel::RunQueryDsl as _;

    use super::super::QueryResult;
    use super::super::fixtures::add_user;
    use super::super::{Database, DbPool, PoolSettings, build_pool, run_migrations, write};
    use super::*;

    fn sqlite() -> (tempfile::TempDir, DbPool) {
        let dir = tempfile::tempdir().unwrap();
        let database = Database::Sqlite(dir.path().join("batch.db"));
        let pool = build_pool(&database, &PoolSettings::default()).unwrap();
        run_migrations(&pool).unwrap();
        (dir, pool)
    }

    fn user_names(pool: &DbPool) -> Vec<String> {
        use super::super::schema::users;
        use diesel::prelude::*;
        let mut conn = pool.get().unwrap();
        users::table
            .order(users::id)
            .select(users::display_name)
            .load(&mut *conn)
            .unwrap()
    }

    /// Keeps the writer busy until the returned sender is used or
    /// dropped, so that the writes queued meanwhile share the next batch.
    async fn hold_the_writer(pool: &DbPool) -> std::sync::mpsc::Sender<()> {
        let (release, held) = std::sync::mpsc::channel::<()>();
        let (started, running) = oneshot::channel();
        let holder = pool.clone();
        tokio::spawn(async move {
            write(&holder, move |_conn| {
                let _ = started.send(());
                let _ = held.recv();
                Ok::<_, QueryError>(())
            })
            .await
            .unwrap();
        });
        running.await.unwrap();
        release
    }

    /// Queues `queries` and gives the runtime a moment to hand them over.
    async fn queue<T, E, F>(pool: &DbPool, queries: F) -> tokio::task::JoinHandle<anyhow::Result<T>>
    where
        F: FnOnce(&mut Conn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<QueryError> + std::error::Error + Send + Sync + 'static,
    {
        let pool = pool.clone();
        let handle = tokio::spawn(async move { write(&pool, queries).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        handle
    }

    /// Queues a write that adds the account `name`.
    async fn queue_user(
        pool: &DbPool,
        name: &'static str,
    ) -> tokio::task::JoinHandle<anyhow::Result<()>> {
        queue(pool, move |conn| {
            add_user(conn, name);
            Ok::<_, QueryError>(())
        })
        .await
    }

    /// Adds the account `name` through the writer, and waits for it.
    async fn write_user(pool: &DbPool, name: &'static str) {
        queue_user(pool, name).await.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn concurrent_writes_are_all_committed() {
        let (_dir, pool) = sqlite();
        let writes: Vec<_> = (0..200)
            .map(|i| {
                let pool = pool.clone();
                tokio::spawn(async move {
                    write(&pool, move |conn| {
                        add_user(conn, &format!("user {i:03}"));
                        Ok::<_, QueryError>(i)
                    })
                    .await
                })
            })
            .collect();
        for (i, w) in writes.into_iter().enumerate() {
            assert_eq!(w.await.unwrap().unwrap(), i);
        }
        let mut names = user_names(&pool);
        names.sort();
        assert_eq!(names.len(), 200);
        assert_eq!(names[0], "user 000");
        assert_eq!(names[199], "user 199");
    }

    #[tokio::test]
    async fn a_failed_write_is_undone_alone_and_its_batch_is_committed() {
        let (_dir, pool) = sqlite();
        let release = hold_the_writer(&pool).await;
        let first = queue_user(&pool, "first").await;
        let failing = queue(&pool, |conn| {
            add_user(conn, "half-done");
            diesel::sql_query("INSERT INTO no_such_table VALUES (1)").execute(conn)
        })
        .await;
        let last = queue_user(&pool, "last").await;
        release.send(()).unwrap();
        first.await.unwrap().unwrap();
        let error = failing.await.unwrap().unwrap_err();
        assert!(format!("{error:#}").contains("no_such_table"), "{error:#}");
        last.await.unwrap().unwrap();
        assert_eq!(user_names(&pool), ["first", "last"]);
    }

    #[tokio::test]
    async fn a_failed_commit_fails_every_write_of_its_batch() {
        let (_dir, pool) = sqlite();
        diesel::sql_query(
            "CREATE TABLE later_checked (user_id INTEGER REFERENCES users(id) \
             DEFERRABLE INITIALLY DEFERRED)",
        )
        .execute(&mut *pool.get().unwrap())
        .unwrap();
        let release = hold_the_writer(&pool).await;
        let innocent = queue_user(&pool, "innocent").await;
        // Passes its own savepoint; the foreign key is checked at COMMIT.
        let dangling = queue(&pool, |conn| {
            diesel::sql_query("INSERT INTO later_checked VALUES (4242)").execute(conn)
        })
        .await;
        release.send(()).unwrap();
        for write in [innocent.await.unwrap(), dangling.await.unwrap().map(drop)] {
            let error = write.unwrap_err();
            assert!(format!("{error:#}").contains("not committed"), "{error:#}");
        }
        assert!(user_names(&pool).is_empty());
        // The writer goes on.
        write_user(&pool, "after").await;
        assert_eq!(user_names(&pool), ["after"]);
    }

    #[tokio::test]
    async fn a_database_that_cannot_be_opened_fails_the_write_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        // A folder where the file should be: SQLite cannot open it.
        let database = Database::Sqlite(dir.path().to_path_buf());
        let writer = Writer::start(Manager::new(database, Duration::from_secs(1))).unwrap();
        let error = writer
            .write(|_conn| Ok::<_, QueryError>(()))
            .await
            .unwrap_err();
        assert!(
            format!("{error:#}").contains("cannot open the database"),
            "{error:#}"
        );
    }

    #[tokio::test]
    async fn a_panicking_write_rolls_its_batch_back_and_the_writer_goes_on() {
        let (_dir, pool) = sqlite();
        let release = hold_the_writer(&pool).await;
        let before = queue_user(&pool, "before the panic").await;
        let panicking = queue(&pool, |_conn| -> QueryResult<()> {
            panic!("a bug in a write");
        })
        .await;
        release.send(()).unwrap();
        let error = before.await.unwrap().unwrap_err();
        assert!(format!("{error:#}").contains("panicked"), "{error:#}");
        assert!(panicking.await.unwrap().is_err());
        assert!(user_names(&pool).is_empty());
        write_user(&pool, "after").await;
        assert_eq!(user_names(&pool), ["after"]);
    }
}
