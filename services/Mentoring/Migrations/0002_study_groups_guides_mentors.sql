-- Study groups (研修组) of a program year: a school's own, or a county's cross-school groups for subjects with few
-- teachers. A teacher is in at most one group a year (a teacher has one subject), which the key of members enforces.
create table study_groups (
    id                 uuid        primary key,
    program_year_id    uuid        not null,
    kind               text        not null check (kind in ('school', 'cross_school')),
    organisation_id    uuid        not null,
    organisation_path  text        not null,
    stage              text        not null,
    subject            text        not null,
    name               text        not null,
    leader_id          uuid        null,
    suggested_leader   uuid        null,
    created_at         timestamptz not null,
    updated_at         timestamptz not null
);

create index ix_study_groups_year_path on study_groups (program_year_id, organisation_path text_pattern_ops);

create table study_group_members (
    program_year_id  uuid        not null,
    teacher_id       uuid        not null,
    group_id         uuid        not null references study_groups (id) on delete cascade,
    school_path      text        not null,
    joined_at        timestamptz not null,
    primary key (program_year_id, teacher_id)
);

create index ix_study_group_members_group on study_group_members (group_id);

create table group_list_submissions (
    program_year_id    uuid        not null,
    organisation_id    uuid        not null,
    organisation_path  text        not null,
    submitted_by       text        not null,
    submitted_at       timestamptz not null,
    primary key (program_year_id, organisation_id)
);

-- Every run of the assignment engine, with its cost and who could not be placed and why.
create table assignment_runs (
    id                    uuid        primary key,
    kind                  text        not null check (kind in ('guides', 'mentors')),
    program_year_id       uuid        null,
    organisation_path     text        not null,
    placed                int         not null,
    unplaced              int         not null,
    total_cost            bigint      not null,
    distance_lower_bound  bigint      not null,
    unplaced_detail       jsonb       not null,
    ran_by                text        not null,
    ran_at                timestamptz not null
);

-- Guide teachers (指导教师), appointed by a district for its county or city, per stage and subject.
create table guide_teachers (
    id                 uuid        primary key,
    teacher_id         uuid        not null,
    organisation_id    uuid        not null,
    organisation_path  text        not null,
    stage              text        not null,
    subject            text        not null,
    capacity           int         not null check (capacity > 0),
    appointed_by       text        not null,
    appointed_at       timestamptz not null
);

create unique index ux_guide_teachers_teacher on guide_teachers (teacher_id, stage, subject);

create table guide_assignments (
    group_id         uuid        primary key references study_groups (id) on delete cascade,
    guide_id         uuid        not null references guide_teachers (id),
    program_year_id  uuid        not null,
    distance         int         not null,
    explanation      text        not null,
    run_id           uuid        not null,
    assigned_at      timestamptz not null
);

create index ix_guide_assignments_guide on guide_assignments (guide_id);

-- Province and city experts: the two levels of guidance above guide teachers.
create table experts (
    id                 uuid        primary key,
    level              text        not null check (level in ('province', 'city')),
    organisation_id    uuid        not null,
    organisation_path  text        not null,
    name               text        not null,
    stage              text        not null,
    subject            text        not null,
    appointed_at       timestamptz not null
);

-- Mentors (导师): backbone teachers and above whom a school or district marked, with how many mentees they take.
create table mentors (
    teacher_id  uuid        primary key,
    capacity    int         not null check (capacity > 0),
    marked_by   text        not null,
    marked_at   timestamptz not null
);

create table mentor_pairings (
    id            uuid        primary key,
    mentor_id     uuid        not null,
    mentee_id     uuid        not null,
    starts_on     date        not null,
    ends_on       date        not null,
    status        text        not null check (status in ('active', 'ended')),
    distance      int         not null,
    explanation   text        not null,
    -- Set when a school or district paired across stage or subject by hand: the reason, shown with the pairing.
    forced_reason text        null,
    run_id        uuid        null,
    ended_on      date        null,
    ended_reason  text        null,
    ended_by      text        null,
    created_at    timestamptz not null
);

create unique index ux_mentor_pairings_active_mentee on mentor_pairings (mentee_id) where status = 'active';
create index ix_mentor_pairings_mentor on mentor_pairings (mentor_id) where status = 'active';
