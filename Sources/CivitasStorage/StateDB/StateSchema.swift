import CivitasGovernance
import CivitasLedger
import Foundation
import GRDB

/// The state database's tables (docs/storage.md, "State database").
///
/// Every table is `STRICT`, so a value keeps the type it was written with,
/// and holds only INTEGER, TEXT and BLOB columns (no floating point), so the
/// canonical digest is the same on every platform. Hashes, keys and subject
/// IDs are raw BLOBs (32, 32 and 16 bytes); times are milliseconds since
/// 1970 (block time unless a column says otherwise); heights start at 1
/// (0 stands for genesis).
enum StateSchema {
    /// Version 1 of the schema, as one script (a migration is never edited:
    /// later versions change it, see `migrator`).
    static let version1 = """
        CREATE TABLE meta (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            community TEXT NOT NULL,
            genesis_hash BLOB NOT NULL,
            genesis_time INTEGER NOT NULL,
            checkpoint_interval INTEGER NOT NULL,
            points_per_hour INTEGER NOT NULL,
            default_deadline_seconds INTEGER NOT NULL,
            applied_height INTEGER NOT NULL,
            applied_hash BLOB NOT NULL,
            applied_time INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE genesis_validators (
            idx INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            subject_key BLOB NOT NULL,
            subject_id BLOB NOT NULL,
            node_key BLOB NOT NULL
        ) STRICT;

        CREATE TABLE registrars (
            public_key BLOB PRIMARY KEY,
            subject_id BLOB NOT NULL
        ) STRICT;

        CREATE TABLE response_deadlines (
            service_code TEXT PRIMARY KEY,
            seconds INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE blocks (
            height INTEGER PRIMARY KEY,
            hash BLOB NOT NULL UNIQUE,
            previous BLOB NOT NULL,
            time INTEGER NOT NULL,
            proposer INTEGER NOT NULL,
            tx_count INTEGER NOT NULL,
            rejected_count INTEGER NOT NULL,
            tx_root BLOB NOT NULL
        ) STRICT;

        CREATE TABLE transactions (
            height INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            id BLOB NOT NULL,
            kind TEXT NOT NULL,
            signer BLOB NOT NULL,
            signer_id BLOB NOT NULL,
            nonce INTEGER NOT NULL,
            time INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('applied', 'rejected')),
            reason TEXT,
            PRIMARY KEY (height, idx)
        ) STRICT;
        CREATE INDEX transactions_by_id ON transactions (id);
        CREATE INDEX transactions_by_signer ON transactions (signer_id, nonce);
        CREATE INDEX transactions_rejected ON transactions (height, idx) WHERE status = 'rejected';

        CREATE TABLE signer_nonces (
            signer BLOB PRIMARY KEY,
            signer_id BLOB NOT NULL,
            nonce INTEGER NOT NULL,
            height INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE subjects (
            subject_id BLOB PRIMARY KEY,
            public_key BLOB NOT NULL UNIQUE,
            display_name TEXT NOT NULL,
            unit TEXT NOT NULL,
            roles INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
            registered_height INTEGER NOT NULL,
            updated_height INTEGER NOT NULL,
            last_tx BLOB
        ) STRICT;

        CREATE TABLE subject_roles (
            subject_id BLOB NOT NULL,
            role TEXT NOT NULL,
            PRIMARY KEY (subject_id, role)
        ) STRICT;
        CREATE INDEX subject_roles_by_role ON subject_roles (role);

        CREATE TABLE notices (
            id BLOB PRIMARY KEY,
            height INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            time INTEGER NOT NULL,
            issuer BLOB NOT NULL,
            category TEXT NOT NULL,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            supersedes BLOB UNIQUE,
            superseded_by BLOB UNIQUE,
            chain_root BLOB NOT NULL,
            version INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX notices_current ON notices (category, height, idx) WHERE superseded_by IS NULL;
        CREATE INDEX notices_by_chain ON notices (chain_root, version);

        CREATE TABLE notice_attachments (
            notice_id BLOB NOT NULL,
            position INTEGER NOT NULL,
            digest BLOB NOT NULL,
            PRIMARY KEY (notice_id, position)
        ) STRICT;

        CREATE VIEW current_notices AS
            SELECT * FROM notices WHERE superseded_by IS NULL;

        CREATE TABLE proposals (
            id BLOB PRIMARY KEY,
            height INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            time INTEGER NOT NULL,
            proposer BLOB NOT NULL,
            title TEXT NOT NULL,
            description TEXT NOT NULL,
            eligible_roles INTEGER NOT NULL,
            closing_kind TEXT NOT NULL CHECK (closing_kind IN ('height', 'time')),
            closing_value INTEGER NOT NULL,
            quorum_bp INTEGER NOT NULL,
            pass_bp INTEGER NOT NULL,
            option_count INTEGER NOT NULL,
            endorsement_count INTEGER NOT NULL,
            electorate_size INTEGER NOT NULL,
            electorate_root BLOB NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
            closed_height INTEGER
        ) STRICT;
        CREATE INDEX proposals_open ON proposals (closing_kind, closing_value) WHERE status = 'open';

        CREATE TABLE proposal_options (
            proposal_id BLOB NOT NULL,
            option_index INTEGER NOT NULL,
            label TEXT NOT NULL,
            PRIMARY KEY (proposal_id, option_index)
        ) STRICT;

        CREATE TABLE proposal_endorsements (
            proposal_id BLOB NOT NULL,
            signer BLOB NOT NULL,
            PRIMARY KEY (proposal_id, signer)
        ) STRICT;

        CREATE TABLE proposal_electorate (
            proposal_id BLOB NOT NULL,
            subject_id BLOB NOT NULL,
            PRIMARY KEY (proposal_id, subject_id)
        ) STRICT;

        CREATE TABLE ballots (
            proposal_id BLOB NOT NULL,
            voter BLOB NOT NULL,
            choice INTEGER NOT NULL,
            height INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            tx_id BLOB NOT NULL,
            replaced INTEGER NOT NULL,
            PRIMARY KEY (proposal_id, voter)
        ) STRICT;

        CREATE TABLE tallies (
            proposal_id BLOB PRIMARY KEY,
            closed_height INTEGER NOT NULL,
            closed_time INTEGER NOT NULL,
            electorate_size INTEGER NOT NULL,
            ballots_cast INTEGER NOT NULL,
            quorum_met INTEGER NOT NULL CHECK (quorum_met IN (0, 1)),
            leading_option INTEGER,
            leading_votes INTEGER NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('passed', 'noQuorum', 'belowThreshold', 'tie'))
        ) STRICT;

        CREATE TABLE tally_options (
            proposal_id BLOB NOT NULL,
            option_index INTEGER NOT NULL,
            votes INTEGER NOT NULL,
            PRIMARY KEY (proposal_id, option_index)
        ) STRICT;

        CREATE TABLE service_requests (
            id BLOB PRIMARY KEY,
            height INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            requested_time INTEGER NOT NULL,
            requester BLOB NOT NULL,
            service_code TEXT NOT NULL,
            description TEXT NOT NULL,
            location TEXT NOT NULL,
            deadline_time INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN
                ('open', 'assigned', 'acknowledged', 'inProgress', 'resolved', 'reopened', 'closed')),
            resolution TEXT CHECK (resolution IN ('fixed', 'notResponsible', 'duplicate', 'referred')),
            provider BLOB,
            assignment_count INTEGER NOT NULL,
            first_response_time INTEGER,
            resolved_time INTEGER,
            closed_time INTEGER,
            rating INTEGER,
            reopen_count INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX service_requests_by_status ON service_requests (status, height, idx);
        CREATE INDEX service_requests_by_provider ON service_requests (provider);

        CREATE TABLE service_assignments (
            request_id BLOB NOT NULL,
            seq INTEGER NOT NULL,
            provider BLOB NOT NULL,
            tx_id BLOB NOT NULL,
            assigned_height INTEGER NOT NULL,
            assigned_time INTEGER NOT NULL,
            note TEXT NOT NULL,
            active INTEGER NOT NULL CHECK (active IN (0, 1)),
            ended_time INTEGER,
            first_response_time INTEGER,
            resolved_time INTEGER,
            resolution TEXT,
            rating INTEGER,
            PRIMARY KEY (request_id, seq)
        ) STRICT;
        CREATE INDEX service_assignments_by_provider ON service_assignments (provider);

        CREATE TABLE service_events (
            request_id BLOB NOT NULL,
            height INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            tx_id BLOB NOT NULL,
            kind TEXT NOT NULL,
            actor BLOB NOT NULL,
            status TEXT NOT NULL,
            note TEXT NOT NULL,
            rating INTEGER,
            PRIMARY KEY (request_id, height, idx)
        ) STRICT;

        -- Durations are clamped at 0: block time is the leader's, and this
        -- layer does not refuse a block whose time runs backwards.
        CREATE VIEW provider_supervision AS
        SELECT
            a.provider AS provider,
            COUNT(*) AS assignments,
            SUM(a.first_response_time IS NOT NULL) AS responded,
            SUM(MAX(a.first_response_time - a.assigned_time, 0)) AS response_ms_total,
            SUM(MAX(a.first_response_time - a.assigned_time, 0)) / NULLIF(SUM(a.first_response_time IS NOT NULL), 0)
                AS average_response_ms,
            SUM(a.resolved_time IS NOT NULL) AS resolved,
            SUM(a.resolution IS 'fixed') AS fixed,
            SUM(MAX(a.resolved_time - a.assigned_time, 0)) AS resolve_ms_total,
            SUM(MAX(a.resolved_time - a.assigned_time, 0)) / NULLIF(SUM(a.resolved_time IS NOT NULL), 0)
                AS average_resolve_ms,
            SUM(a.resolved_time IS NOT NULL) * 10000 / COUNT(*) AS resolution_rate_bp,
            SUM(COALESCE(a.first_response_time, a.ended_time, m.applied_time) > r.deadline_time) AS breaches,
            COUNT(a.rating) AS ratings,
            SUM(a.rating) AS rating_total,
            SUM(a.rating) * 100 / NULLIF(COUNT(a.rating), 0) AS average_rating_x100
        FROM service_assignments a
        JOIN service_requests r ON r.id = a.request_id
        CROSS JOIN meta m
        GROUP BY a.provider;

        CREATE TABLE volunteer_records (
            id BLOB PRIMARY KEY,
            height INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            organisation BLOB NOT NULL,
            volunteer BLOB NOT NULL,
            activity TEXT NOT NULL,
            minutes INTEGER NOT NULL,
            day INTEGER NOT NULL,
            points INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX volunteer_records_by_volunteer ON volunteer_records (volunteer, height, idx);

        CREATE TABLE volunteer_totals (
            volunteer BLOB PRIMARY KEY,
            records INTEGER NOT NULL,
            minutes INTEGER NOT NULL,
            points INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE checkpoints (
            community TEXT NOT NULL,
            height INTEGER NOT NULL,
            header_hash BLOB NOT NULL,
            genesis_hash BLOB NOT NULL,
            source TEXT NOT NULL CHECK (source IN ('own', 'received')),
            recorded_height INTEGER NOT NULL,
            recorded_idx INTEGER,
            tx_id BLOB,
            submitter BLOB,
            votes INTEGER,
            certificate BLOB,
            PRIMARY KEY (community, height, header_hash)
        ) STRICT;

        CREATE VIEW checkpoint_conflicts AS
            SELECT community, height, COUNT(*) AS hashes
            FROM checkpoints GROUP BY community, height HAVING COUNT(*) > 1;

        CREATE TABLE referrals (
            id BLOB PRIMARY KEY,
            height INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            time INTEGER NOT NULL,
            referrer BLOB NOT NULL,
            to_community TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('request', 'resource')),
            reference BLOB,
            reference_kind TEXT,
            summary TEXT NOT NULL
        ) STRICT;
        """

    /// Version 3: residents' draft proposals and their endorsements, reward
    /// offers, redemptions and the points each subject spent (#18).
    static let version3 = """
        CREATE TABLE proposal_drafts (
            id BLOB PRIMARY KEY,
            height INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            time INTEGER NOT NULL,
            proposer BLOB NOT NULL,
            title TEXT NOT NULL,
            description TEXT NOT NULL,
            eligible_roles INTEGER NOT NULL,
            closing_kind TEXT NOT NULL CHECK (closing_kind IN ('height', 'time')),
            closing_value INTEGER NOT NULL,
            quorum_bp INTEGER NOT NULL,
            pass_bp INTEGER NOT NULL,
            opened_height INTEGER
        ) STRICT;

        CREATE TABLE draft_options (
            draft_id BLOB NOT NULL,
            option_index INTEGER NOT NULL,
            label TEXT NOT NULL,
            PRIMARY KEY (draft_id, option_index)
        ) STRICT;

        CREATE TABLE draft_endorsements (
            draft_id BLOB NOT NULL,
            endorser BLOB NOT NULL,
            endorser_key BLOB NOT NULL,
            height INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            tx_id BLOB NOT NULL,
            PRIMARY KEY (draft_id, endorser)
        ) STRICT;

        CREATE TABLE reward_offers (
            id BLOB PRIMARY KEY,
            height INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            time INTEGER NOT NULL,
            publisher BLOB NOT NULL,
            title TEXT NOT NULL,
            description TEXT NOT NULL,
            price INTEGER NOT NULL,
            quantity INTEGER NOT NULL,
            redeemed INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE redemptions (
            id BLOB PRIMARY KEY,
            height INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            time INTEGER NOT NULL,
            offer BLOB NOT NULL,
            redeemer BLOB NOT NULL,
            publisher BLOB NOT NULL,
            points INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX redemptions_by_offer ON redemptions (offer, height, idx);
        CREATE INDEX redemptions_by_redeemer ON redemptions (redeemer, height, idx);

        CREATE TABLE redeemed_totals (
            subject BLOB PRIMARY KEY,
            redemptions INTEGER NOT NULL,
            points INTEGER NOT NULL
        ) STRICT;
        """

    /// Version 4: the city federation (#16). The federation documents the
    /// community adopted (kind 16); tamper evidence — a neighbour's valid
    /// checkpoint whose header differs from the one anchored at its height,
    /// with both certificates; and each checkpoint's block time of recording
    /// (filled from `blocks` for rows written before), for the anchors' age.
    /// Evidence is its own table now, so the `checkpoint_conflicts` view goes.
    static let version4 = """
        ALTER TABLE checkpoints ADD COLUMN recorded_time INTEGER NOT NULL DEFAULT 0;
        UPDATE checkpoints SET recorded_time = COALESCE((SELECT time FROM blocks WHERE blocks.height = checkpoints.recorded_height), 0);
        CREATE INDEX checkpoints_by_chain ON checkpoints (community, genesis_hash, height) WHERE source = 'received';
        DROP VIEW checkpoint_conflicts;

        CREATE TABLE tamper_evidence (
            community TEXT NOT NULL,
            height INTEGER NOT NULL,
            conflicting_header_hash BLOB NOT NULL,
            genesis_hash BLOB NOT NULL,
            anchored_header_hash BLOB NOT NULL,
            anchored_certificate BLOB NOT NULL,
            conflicting_certificate BLOB NOT NULL,
            recorded_height INTEGER NOT NULL,
            recorded_time INTEGER NOT NULL,
            recorded_idx INTEGER NOT NULL,
            tx_id BLOB NOT NULL,
            submitter BLOB NOT NULL,
            PRIMARY KEY (community, height, conflicting_header_hash)
        ) STRICT;

        CREATE TABLE federation_adoptions (
            sequence INTEGER PRIMARY KEY,
            hash BLOB NOT NULL,
            document BLOB NOT NULL,
            height INTEGER NOT NULL,
            time INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            tx_id BLOB NOT NULL,
            adopter BLOB NOT NULL
        ) STRICT;
        """

    /// Version 5: referrals across the city (#16). A referral this community
    /// made gains the neighbour's receipt and answer as they are relayed back
    /// (kind 17); a neighbour's referral to this community is a row of
    /// `incoming_referrals`, with this community's answer (kind 18).
    static let version5 = """
        ALTER TABLE referrals ADD COLUMN delivered_height INTEGER;
        ALTER TABLE referrals ADD COLUMN delivered_tx BLOB;
        ALTER TABLE referrals ADD COLUMN delivered_recorded_height INTEGER;
        ALTER TABLE referrals ADD COLUMN delivered_recorded_time INTEGER;
        ALTER TABLE referrals ADD COLUMN delivered_relay_tx BLOB;
        ALTER TABLE referrals ADD COLUMN answer_accepted INTEGER;
        ALTER TABLE referrals ADD COLUMN answer_note TEXT;
        ALTER TABLE referrals ADD COLUMN answerer BLOB;
        ALTER TABLE referrals ADD COLUMN answered_height INTEGER;
        ALTER TABLE referrals ADD COLUMN answered_tx BLOB;
        ALTER TABLE referrals ADD COLUMN answered_recorded_height INTEGER;
        ALTER TABLE referrals ADD COLUMN answered_recorded_time INTEGER;
        ALTER TABLE referrals ADD COLUMN answered_relay_tx BLOB;

        CREATE TABLE incoming_referrals (
            id BLOB PRIMARY KEY,
            from_community TEXT NOT NULL,
            their_height INTEGER NOT NULL,
            their_time INTEGER NOT NULL,
            referrer BLOB NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('request', 'resource')),
            reference BLOB,
            summary TEXT NOT NULL,
            recorded_height INTEGER NOT NULL,
            recorded_time INTEGER NOT NULL,
            recorded_idx INTEGER NOT NULL,
            tx_id BLOB NOT NULL,
            answer_accepted INTEGER,
            answer_note TEXT,
            answerer BLOB,
            answer_height INTEGER,
            answer_time INTEGER,
            answer_tx BLOB
        ) STRICT;
        CREATE INDEX incoming_referrals_by_height ON incoming_referrals (recorded_height, recorded_idx);
        """

    /// Every table and the order its rows are hashed in (`StateDatabase.stateDigest`).
    /// The order is each table's primary key, so it does not depend on
    /// insertion order or on the query planner.
    static let digestOrder: [(table: String, orderBy: String)] = [
        ("meta", "id"),
        ("genesis_validators", "idx"),
        ("registrars", "public_key"),
        ("response_deadlines", "service_code"),
        ("blocks", "height"),
        ("transactions", "height, idx"),
        ("signer_nonces", "signer"),
        ("subjects", "subject_id"),
        ("subject_roles", "subject_id, role"),
        ("notices", "id"),
        ("notice_attachments", "notice_id, position"),
        ("proposals", "id"),
        ("proposal_options", "proposal_id, option_index"),
        ("proposal_endorsements", "proposal_id, signer"),
        ("proposal_electorate", "proposal_id, subject_id"),
        ("ballots", "proposal_id, voter"),
        ("tallies", "proposal_id"),
        ("tally_options", "proposal_id, option_index"),
        ("service_requests", "id"),
        ("service_assignments", "request_id, seq"),
        ("service_events", "request_id, height, idx"),
        ("volunteer_records", "id"),
        ("volunteer_totals", "volunteer"),
        ("checkpoints", "community, height, header_hash"),
        ("referrals", "id"),
        ("proposal_drafts", "id"),
        ("draft_options", "draft_id, option_index"),
        ("draft_endorsements", "draft_id, endorser"),
        ("reward_offers", "id"),
        ("redemptions", "id"),
        ("redeemed_totals", "subject"),
        ("tamper_evidence", "community, height, conflicting_header_hash"),
        ("federation_adoptions", "sequence"),
        ("incoming_referrals", "id"),
    ]

    /// The migrator: version 1 creates the schema and records `genesis` in
    /// the same transaction, so a database either has both or neither.
    /// Version 2 drops the `provider_supervision` view: the figures are
    /// computed by `ProviderSupervision.figures` (CivitasGovernance), the one
    /// definition the in-memory state uses too. Version 3 adds the tables of
    /// drafts, endorsements, rewards and redemptions (empty until their kinds
    /// are used, so an older database needs no rebuild). Version 4 adds the
    /// federation's tables and the checkpoints' recording time (see
    /// `version4`; docs/storage.md on the checkpoint rule that came with it).
    /// Version 5 adds referrals' steps across the city (`version5`).
    static func migrator(genesis: GenesisDocument) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: version1)
            try recordGenesis(genesis, in: db)
        }
        migrator.registerMigration("v2") { db in
            try db.execute(sql: "DROP VIEW provider_supervision")
        }
        migrator.registerMigration("v3") { db in
            try db.execute(sql: version3)
        }
        migrator.registerMigration("v4") { db in
            try db.execute(sql: version4)
        }
        migrator.registerMigration("v5") { db in
            try db.execute(sql: version5)
        }
        return migrator
    }

    /// Inserts the genesis document's parameters, validators, registrars and subjects (height 0).
    static func recordGenesis(_ genesis: GenesisDocument, in db: Database) throws {
        let p = genesis.parameters
        try db.run("""
            INSERT INTO meta (id, community, genesis_hash, genesis_time, checkpoint_interval, points_per_hour,
                              default_deadline_seconds, applied_height, applied_hash, applied_time)
            VALUES (1, ?, ?, ?, ?, ?, ?, 0, ?, ?)
            """, [genesis.community.name, genesis.hash.sql, sqlInt(genesis.time), sqlInt(p.checkpointInterval),
                  Int64(p.pointsPerHour), sqlInt(p.defaultResponseDeadline), genesis.hash.sql, sqlInt(genesis.time)])
        for (i, v) in genesis.validators.enumerated() {
            try db.run("INSERT INTO genesis_validators VALUES (?, ?, ?, ?, ?)",
                       [Int64(i), v.name, v.subject.raw.sql, v.subject.subjectID.raw.sql, v.nodeKey.raw.sql])
        }
        for r in genesis.registrars {
            try db.run("INSERT OR IGNORE INTO registrars VALUES (?, ?)", [r.raw.sql, r.subjectID.raw.sql])
        }
        for d in p.responseDeadlines {
            try db.run("INSERT OR REPLACE INTO response_deadlines VALUES (?, ?)", [d.serviceCode, sqlInt(d.seconds)])
        }
        // The genesis subjects, as the transition registers them (a later duplicate key wins).
        let store = SQLGovernanceStore(db: db)
        for change in GovernanceTransition.genesis(genesis) { try store.apply(change) }
    }
}
