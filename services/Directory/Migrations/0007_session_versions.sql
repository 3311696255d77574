-- Sessions that end: every token carries its account's session version as it was at issue; raising the version
-- (a password change, a lock-out, a change of school, leaving post, signing out) ends every session issued before.
-- session_versions (a shared migration) is written in the same transaction, for this service's own check.
alter table accounts add column if not exists session_version int not null default 0;
