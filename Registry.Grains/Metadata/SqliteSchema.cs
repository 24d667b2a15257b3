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
        // 5: quotas and tag immutability. Each project's usage (used_bytes) is the sum of the sizes
        // of the distinct digests its live manifests hold: each manifest's own bytes and the blobs
        // it references (sizes from `blobs`); quota_refs counts, per (project, digest), how many
        // manifest rows hold it, so a digest is charged once and released when the last goes.
        // Immutable tag rules are Harbor's: selectors as JSON, enabled unless disabled.
        """
        ALTER TABLE projects ADD COLUMN used_bytes INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE quota_refs (
            project TEXT NOT NULL,
            digest TEXT NOT NULL,
            size INTEGER NOT NULL,
            refs INTEGER NOT NULL,
            PRIMARY KEY (project, digest)
        ) WITHOUT ROWID;
        INSERT INTO quota_refs (project, digest, size, refs)
        SELECT project, digest, max(size), count(*) FROM (
            SELECT r.project AS project, m.digest AS digest, m.size AS size
            FROM manifests m JOIN repositories r ON r.name = m.repository
            UNION ALL
            SELECT r.project, mr.reference, b.size
            FROM manifest_references mr JOIN repositories r ON r.name = mr.repository JOIN blobs b ON b.digest = mr.reference
            WHERE mr.reference <> mr.manifest
        ) GROUP BY project, digest;
        UPDATE projects SET used_bytes = coalesce((SELECT sum(size) FROM quota_refs WHERE quota_refs.project = projects.name), 0);
        CREATE TABLE immutable_rules (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            project_id INTEGER NOT NULL,
            priority INTEGER NOT NULL,
            disabled INTEGER NOT NULL,
            tag_selectors TEXT NOT NULL,
            scope_selectors TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX immutable_rules_by_project ON immutable_rules (project_id);
        """,
        // 6: the recycle bin: artifacts deleted by digest, with their bytes, tags (JSON, with push
        // and pull times) and references (kept so that GC never sweeps what a restore needs).
        // parent_id is the entry whose deletion took this one along (an accessory, an index child).
        """
        CREATE TABLE recycle_bin (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            parent_id INTEGER,
            project_id INTEGER NOT NULL,
            repository TEXT NOT NULL,
            digest TEXT NOT NULL,
            media_type TEXT NOT NULL,
            artifact_type TEXT,
            subject TEXT,
            annotations TEXT,
            size INTEGER NOT NULL,
            content BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            pulled_at INTEGER,
            tags TEXT NOT NULL,
            deleted_by TEXT NOT NULL,
            deleted_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL
        );
        CREATE INDEX recycle_bin_by_project ON recycle_bin (project_id, deleted_at);
        CREATE INDEX recycle_bin_by_parent ON recycle_bin (parent_id);
        CREATE INDEX recycle_bin_by_expiry ON recycle_bin (expires_at);
        CREATE TABLE recycle_bin_references (
            bin_id INTEGER NOT NULL,
            reference TEXT NOT NULL,
            PRIMARY KEY (bin_id, reference)
        ) WITHOUT ROWID;
        CREATE INDEX recycle_bin_references_by_reference ON recycle_bin_references (reference);
        """,
        // 7: garbage collection. Blobs remember when they were last linked (the GC's time window) and
        // carry a deletion marker: a blob marked `deleting` cannot be linked again until it is gone;
        // gc_runs is the history; the schedule is the `gc_schedule` setting.
        """
        ALTER TABLE blobs ADD COLUMN last_linked_at INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE blobs ADD COLUMN deleting INTEGER NOT NULL DEFAULT 0;
        UPDATE blobs SET last_linked_at = created_at;
        CREATE INDEX manifest_references_by_reference_only ON manifest_references (reference);
        CREATE INDEX manifests_by_digest ON manifests (digest);
        CREATE INDEX repository_blobs_by_digest ON repository_blobs (digest);
        CREATE TABLE gc_runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            job_kind TEXT NOT NULL,
            status TEXT NOT NULL,
            dry_run INTEGER NOT NULL,
            delete_untagged INTEGER NOT NULL,
            workers INTEGER NOT NULL,
            time_window INTEGER NOT NULL,
            blobs_deleted INTEGER NOT NULL DEFAULT 0,
            bytes_freed INTEGER NOT NULL DEFAULT 0,
            manifests_deleted INTEGER NOT NULL DEFAULT 0,
            log TEXT NOT NULL DEFAULT '',
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            ended_at INTEGER
        );
        """,
        // 8: labels and tag retention. Global labels have project_id 0 (scope 'g'); artifact labels
        // are keyed by repository and digest, as artifacts are; retention keeps one policy per project,
        // its executions and one task per repository with the task's log.
        """
        CREATE TABLE labels (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            description TEXT NOT NULL,
            color TEXT NOT NULL,
            scope TEXT NOT NULL,
            project_id INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            UNIQUE (scope, project_id, name)
        );
        CREATE INDEX labels_by_project ON labels (project_id);
        CREATE TABLE artifact_labels (
            repository TEXT NOT NULL,
            digest TEXT NOT NULL,
            label_id INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (repository, digest, label_id)
        ) WITHOUT ROWID;
        CREATE INDEX artifact_labels_by_label ON artifact_labels (label_id);
        CREATE TABLE retention_policies (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            project_id INTEGER NOT NULL UNIQUE,
            policy TEXT NOT NULL,
            cron TEXT,
            scheduled_at INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE TABLE retention_executions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            policy_id INTEGER NOT NULL,
            status TEXT NOT NULL,
            trigger_kind TEXT NOT NULL,
            dry_run INTEGER NOT NULL,
            operator TEXT NOT NULL,
            start_time INTEGER NOT NULL,
            end_time INTEGER
        );
        CREATE INDEX retention_executions_by_policy ON retention_executions (policy_id, id);
        CREATE TABLE retention_tasks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            execution_id INTEGER NOT NULL,
            repository TEXT NOT NULL,
            status TEXT NOT NULL,
            total INTEGER NOT NULL,
            retained INTEGER NOT NULL,
            log TEXT NOT NULL,
            start_time INTEGER NOT NULL,
            end_time INTEGER
        );
        CREATE INDEX retention_tasks_by_execution ON retention_tasks (execution_id, id);
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
        """
        ALTER TABLE uploads ADD COLUMN committed TEXT;
        """,
        """
        ALTER TABLE robots ADD COLUMN creator_type TEXT NOT NULL DEFAULT 'local';
        """,
    ];
}
