-- Finished background exports (succeeded or failed) are deleted with their chunks once older than
-- Enrollment:Exports:Retention (ProgressExportWorker's sweep), oldest first, in small batches.
create index ix_progress_exports_finished on progress_exports (finished_at) where status in ('succeeded', 'failed');

-- What is left of a deleted export: enough to tell whoever may see it that its file was cleared and can be exported
-- again, instead of a bare "not found" for a link they were given a week ago. Rows of a few dozen bytes, themselves
-- deleted after a year.
create table progress_export_tombstones (
    id          uuid        primary key,
    year_code   text        not null,
    scope_path  text        not null,
    cleared_at  timestamptz not null
);

create index ix_progress_export_tombstones_cleared on progress_export_tombstones (cleared_at);
