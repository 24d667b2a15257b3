namespace Registry.Grains.Metadata;

/// <summary>
/// Versioned schema. Each entry is one migration, applied once in order and recorded in
/// <c>PRAGMA user_version</c>; never edit an applied entry, append a new one.
/// Times are Unix milliseconds; repositories are keyed by their full name.
/// </summary>
internal static class SqliteSchema
{
    public static readonly IReadOnlyList<string> Migrations =
    [
        """
        CREATE TABLE projects (
            name TEXT PRIMARY KEY,
            public INTEGER NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE repositories (
            name TEXT PRIMARY KEY,
            project TEXT NOT NULL REFERENCES projects(name),
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE TABLE blobs (
            digest TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            created_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE repository_blobs (
            repository TEXT NOT NULL,
            digest TEXT NOT NULL,
            size INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (repository, digest)
        ) WITHOUT ROWID;
        CREATE TABLE manifests (
            repository TEXT NOT NULL REFERENCES repositories(name),
            digest TEXT NOT NULL,
            media_type TEXT NOT NULL,
            artifact_type TEXT,
            subject TEXT,
            annotations TEXT,
            size INTEGER NOT NULL,
            content BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (repository, digest)
        ) WITHOUT ROWID;
        CREATE INDEX manifests_by_subject ON manifests (repository, subject) WHERE subject IS NOT NULL;
        CREATE TABLE manifest_references (
            repository TEXT NOT NULL,
            manifest TEXT NOT NULL,
            reference TEXT NOT NULL,
            PRIMARY KEY (repository, manifest, reference)
        ) WITHOUT ROWID;
        CREATE TABLE tags (
            repository TEXT NOT NULL,
            name TEXT NOT NULL,
            digest TEXT NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (repository, name),
            FOREIGN KEY (repository, digest) REFERENCES manifests(repository, digest)
        ) WITHOUT ROWID;
        CREATE TABLE uploads (
            id TEXT PRIMARY KEY,
            repository TEXT NOT NULL,
            started_at INTEGER NOT NULL
        );
        CREATE TABLE users (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            username TEXT NOT NULL UNIQUE,
            password_hash TEXT NOT NULL,
            sysadmin INTEGER NOT NULL,
            created_at INTEGER NOT NULL
        );
        INSERT INTO projects (name, public, created_at) VALUES ('library', 1, CAST(strftime('%s','now') AS INTEGER) * 1000);
        """,
        // 2: secrets every node must share (the token signing key, the cache key).
        """
        CREATE TABLE secrets (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        """,
    ];
}
