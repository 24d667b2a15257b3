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
        // 3: Harbor's identities and the management API's read model. Projects get ids (from
        // `sequences`, as SQLite cannot add an autoincrement column; never reused), owners (the
        // admin, user 1, for those that exist) and storage limits; users get profiles, unique names
        // and emails regardless of case; members, robots, the audit log and settings are new; pulls
        // are counted per repository and timed per manifest and tag.
        """
        ALTER TABLE projects ADD COLUMN id INTEGER;
        ALTER TABLE projects ADD COLUMN owner_id INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE projects ADD COLUMN storage_limit INTEGER NOT NULL DEFAULT -1;
        ALTER TABLE projects ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
        UPDATE projects SET id = rowid, updated_at = created_at;
        CREATE UNIQUE INDEX projects_by_id ON projects (id);
        CREATE TABLE sequences (
            name TEXT PRIMARY KEY,
            next INTEGER NOT NULL
        );
        INSERT INTO sequences (name, next) SELECT 'projects', coalesce(max(id), 0) + 1 FROM projects;

        ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';
        ALTER TABLE users ADD COLUMN realname TEXT NOT NULL DEFAULT '';
        ALTER TABLE users ADD COLUMN comment TEXT NOT NULL DEFAULT '';
        ALTER TABLE users ADD COLUMN source TEXT NOT NULL DEFAULT 'db';
        ALTER TABLE users ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
        UPDATE users SET updated_at = created_at;
        CREATE UNIQUE INDEX users_by_lower_username ON users (lower(username));
        CREATE UNIQUE INDEX users_by_lower_email ON users (lower(email)) WHERE email <> '';

        CREATE TABLE project_members (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            project_id INTEGER NOT NULL REFERENCES projects(id),
            user_id INTEGER NOT NULL,
            role_id INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            UNIQUE (project_id, user_id)
        );
        CREATE INDEX project_members_by_user ON project_members (user_id);
        INSERT INTO project_members (project_id, user_id, role_id, created_at, updated_at)
        SELECT id, owner_id, 1, created_at, created_at FROM projects;

        CREATE TABLE robots (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            description TEXT NOT NULL,
            level TEXT NOT NULL,
            project_id INTEGER REFERENCES projects(id),
            secret_hash TEXT NOT NULL,
            duration INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            disabled INTEGER NOT NULL,
            permissions TEXT NOT NULL,
            creator TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX robots_by_project ON robots (project_id);

        CREATE TABLE audit_logs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            project_id INTEGER,
            username TEXT NOT NULL,
            resource TEXT NOT NULL,
            resource_type TEXT NOT NULL,
            operation TEXT NOT NULL,
            result TEXT NOT NULL,
            op_time INTEGER NOT NULL
        );
        CREATE INDEX audit_logs_by_time ON audit_logs (op_time);
        CREATE INDEX audit_logs_by_project_time ON audit_logs (project_id, op_time);

        CREATE TABLE settings (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );

        ALTER TABLE repositories ADD COLUMN description TEXT NOT NULL DEFAULT '';
        ALTER TABLE repositories ADD COLUMN pull_count INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX repositories_by_project ON repositories (project);
        ALTER TABLE manifests ADD COLUMN pulled_at INTEGER;
        ALTER TABLE tags ADD COLUMN pulled_at INTEGER;
        CREATE INDEX tags_by_digest ON tags (repository, digest);
        CREATE INDEX manifest_references_by_reference ON manifest_references (repository, reference);
        """,
        // 4: the event outbox: one row per event (Registry.Grains.Policies.RegistryEvent as JSON),
        // written in the same transaction as the change it reports; readers keep their own cursor.
        """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            project_id INTEGER NOT NULL,
            event_type TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX outbox_by_time ON outbox (created_at);
        """,
        // 9: webhooks and audit purge: webhook policies (targets and event types as JSON), one job
        // per (policy, outbox event, target) with its delivery state (never a response body), the
        // outbox readers' cursors, and the audit-log purge schedule and history.
        """
        CREATE TABLE webhook_policies (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            project_id INTEGER NOT NULL,
            name TEXT NOT NULL,
            description TEXT NOT NULL,
            targets TEXT NOT NULL,
            event_types TEXT NOT NULL,
            enabled INTEGER NOT NULL,
            creator TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            UNIQUE (project_id, name)
        );
        CREATE TABLE webhook_jobs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            policy_id INTEGER NOT NULL,
            project_id INTEGER NOT NULL,
            event_id INTEGER NOT NULL,
            event_type TEXT NOT NULL,
            target_index INTEGER NOT NULL,
            notify_type TEXT NOT NULL,
            payload TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            next_attempt_at INTEGER NOT NULL,
            response_code INTEGER,
            message TEXT NOT NULL,
            log TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            UNIQUE (policy_id, event_id, target_index)
        );
        CREATE INDEX webhook_jobs_open ON webhook_jobs (status, policy_id, id);
        CREATE INDEX webhook_jobs_by_time ON webhook_jobs (updated_at);
        CREATE TABLE outbox_cursors (
            reader TEXT PRIMARY KEY,
            last_id INTEGER NOT NULL
        );
        INSERT INTO outbox_cursors (reader, last_id) VALUES ('webhooks', 0);
        CREATE TABLE audit_purge_schedule (
            id INTEGER PRIMARY KEY,
            type TEXT NOT NULL,
            cron TEXT,
            parameters TEXT NOT NULL,
            next_run_at INTEGER,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE TABLE audit_purges (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            trigger TEXT NOT NULL,
            parameters TEXT NOT NULL,
            status TEXT NOT NULL,
            deleted INTEGER NOT NULL,
            log TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        """,
    ];
}
