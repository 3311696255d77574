-- Province, city and county roll-ups read a per-county fold of the teachers' tallies instead of a million teacher rows
-- (Reports/ProgressFold.cs has the design). Each tally row remembers what the fold counted it as, and is marked dirty
-- when it changes; a roll-up reads the fold, takes back the dirty rows' folded part and adds their live part, so it is
-- exact at every moment, and the fold only keeps that correction small.
alter table progress_tallies
    add column dirty                 boolean       not null default true,
    add column folded_county         text          null, -- null: not counted (not in post, or never folded)
    add column folded_closes         date          null,
    add column folded_base           text          null,
    add column folded_hours          numeric(8, 1) null,
    add column folded_elective_short boolean       null;

create index ix_progress_tallies_dirty on progress_tallies (program_year_id, teacher_id) where dirty;

-- Teachers of a county counted by everything the status needs that is not the day: the school's course-selection
-- close, the base (opted_out / completed / not_started / started, from the year's minimum), and for those started but
-- not done, their hours and whether their electives fall short. 'behind' and 'on_track' are decided when read.
create table progress_county_tallies (
    program_year_id  uuid           not null,
    county_path      text           not null,
    selection_closes date           not null,
    base             text           not null,
    hours_done       numeric(8, 1)  not null,
    elective_short   boolean        not null,
    teachers         int            not null,
    hours_sum        numeric(14, 1) not null,
    primary key (program_year_id, county_path, selection_closes, base, hours_done, elective_short)
);
