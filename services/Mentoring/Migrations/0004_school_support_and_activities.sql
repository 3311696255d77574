-- 对口帮扶: schools a district marked as needing support, and backbone teachers paired with them for a period.
create table support_schools (
    school_id    uuid        primary key,
    school_path  text        not null,
    reason       text        not null,
    marked_by    text        not null,
    marked_at    timestamptz not null
);

create index ix_support_schools_path on support_schools (school_path text_pattern_ops);

create table support_pairings (
    id            uuid        primary key,
    teacher_id    uuid        not null,
    school_id     uuid        not null,
    school_path   text        not null,
    -- The lowest bureau over both schools (county, city or province): the level the credit is registered at.
    level         text        not null,
    starts_on     date        not null,
    ends_on       date        not null,
    status        text        not null check (status in ('active', 'ended')),
    created_by    text        not null,
    created_at    timestamptz not null,
    ended_on      date        null,
    ended_reason  text        null,
    ended_by      text        null
);

create unique index ux_support_pairings_active on support_pairings (teacher_id, school_id) where status = 'active';
create index ix_support_pairings_school on support_pairings (school_path text_pattern_ops);

-- Activities that earn the teacher who did the work credit hours once the school they served confirms them:
-- a mentor's session (导师带教), a supporting teacher's day at a weak school (对口帮扶), a guide's session (指导).
-- source_id is the mentor pairing, the support pairing or the study group; confirming_path the organisation whose
-- admins (or any bureau above) confirm it.
create table mentoring_activities (
    id               uuid          primary key,
    kind             text          not null check (kind in ('mentoring_session', 'school_support', 'guidance')),
    source_id        uuid          not null,
    teacher_id       uuid          not null,
    confirming_path  text          not null,
    title            text          not null,
    credit_title     text          not null,
    held_on          date          not null,
    hours            numeric(4, 1) not null check (hours > 0),
    category         text          not null,
    mode             text          not null,
    level            text          not null,
    description      text          not null,
    status           text          not null check (status in ('logged', 'confirmed', 'rejected')),
    created_at       timestamptz   not null,
    decided_by       text          null,
    decided_at       timestamptz   null,
    rejected_reason  text          null
);

-- The same activity logged twice (a repeated click) is one activity; a rejected one may be logged again.
create unique index ux_mentoring_activities_once on mentoring_activities (source_id, teacher_id, held_on, title) where status <> 'rejected';
create index ix_mentoring_activities_confirming on mentoring_activities (status, confirming_path text_pattern_ops);
create index ix_mentoring_activities_teacher on mentoring_activities (teacher_id, held_on);
