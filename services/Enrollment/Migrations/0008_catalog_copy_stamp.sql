-- A counter that moves with every write to the catalog copies an elective choice reads (years, their windows, courses,
-- topics, schools' topic choices), so each replica keeps those facts in memory and checks the counter in the batch it
-- sends anyway: a change committed by the copy consumers on any replica is seen by the very next choice everywhere.
-- Only the copy consumers write these tables, rarely; nothing on the course-selection hot path does (course_sessions,
-- whose seats every concentrated choice takes, deliberately has no trigger). Statement-level: a bulk write is one bump.
create table catalog_copy_stamp (
    only_row  boolean primary key default true check (only_row),
    stamp     bigint  not null
);
insert into catalog_copy_stamp (stamp) values (1);

create function bump_catalog_copy_stamp() returns trigger language plpgsql as $$
begin
    update catalog_copy_stamp set stamp = stamp + 1;
    return null;
end $$;

create trigger program_years_bump_catalog_copy_stamp after insert or update or delete or truncate on program_years
    for each statement execute function bump_catalog_copy_stamp();
create trigger window_adjustments_bump_catalog_copy_stamp after insert or update or delete or truncate on window_adjustments
    for each statement execute function bump_catalog_copy_stamp();
create trigger courses_bump_catalog_copy_stamp after insert or update or delete or truncate on courses
    for each statement execute function bump_catalog_copy_stamp();
create trigger topics_bump_catalog_copy_stamp after insert or update or delete or truncate on topics
    for each statement execute function bump_catalog_copy_stamp();
create trigger school_topics_bump_catalog_copy_stamp after insert or update or delete or truncate on school_topics
    for each statement execute function bump_catalog_copy_stamp();
