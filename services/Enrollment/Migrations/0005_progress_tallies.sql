-- Running tallies of each teacher's year (see Reports/ProgressTallyStore.cs for the design): one row per teacher and
-- program year, kept in the transaction of every change that moves it, so the views read figures instead of summing
-- enrollments. Only figures are stored; the status that depends on the date is worked out when read.
create table progress_tallies (
    teacher_id         uuid          not null,
    program_year_id    uuid          not null,
    school_path        text          not null,
    name               text          not null,
    stage              text          not null,
    subject            text          not null,
    in_post            boolean       not null,
    required_hours     numeric(8, 1) not null,
    elective_hours     numeric(8, 1) not null,
    hours_done         numeric(8, 1) not null,
    started            boolean       not null,
    opted_out          boolean       not null,
    opt_out_statement  text          null,
    -- The part of the status that does not depend on the date or the year's minimum: a filter by status narrows to one
    -- phase through the index below, then the rule decides among its few rows.
    phase              text          generated always as (
                           case when opted_out then 'opted_out' when started then 'started' else 'not_started' end) stored,
    updated_at         timestamptz   not null,
    primary key (teacher_id, program_year_id)
);

-- A school's teachers of one phase, in name order: keyset pagination (name, teacher_id) without OFFSET; prefix scans
-- of a county or city use the same index (text_pattern_ops).
create index ix_progress_tallies_school on progress_tallies (program_year_id, school_path text_pattern_ops, phase, name, teacher_id)
    where in_post;

-- Rebuilds asked for, worked by one replica at a time (SKIP LOCKED). This script asks for the first: every tally is
-- built from the enrollments already there, in the background, at the first start after the migration.
create table progress_tally_rebuilds (
    id              bigint      generated always as identity primary key,
    requested_by    text        not null,
    requested_at    timestamptz not null,
    after_teacher   uuid        null,
    teachers_done   bigint      not null default 0,
    done_at         timestamptz null
);

create index ix_progress_tally_rebuilds_open on progress_tally_rebuilds (id) where done_at is null;

insert into progress_tally_rebuilds (requested_by, requested_at) values ('migration 0005', now());
