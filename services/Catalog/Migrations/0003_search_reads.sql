-- Cheaper broad searches (benchmarks/CatalogSearch). A one-character or very common search matches most of the
-- catalogue, and PostgreSQL then reads every course's search vector.

-- Keep the vector in its row. With the default storage a row over ~2 kB moves its vector to TOAST, one index
-- lookup per course read; 'main' keeps it inline unless the row cannot fit a page otherwise. The update moves the
-- vectors already stored out of line back into their rows (|| builds a new, equal value).
alter table courses alter column search set storage main;
update courses set search = search || ''::tsvector;

-- Course codes are ASCII identifiers (CourseRules), and results are ordered by code. Byte order is the order the
-- C and C.UTF-8 databases we create already gave them, without a locale-aware string comparison for every pair when
-- thousands of matches are sorted.
alter table courses alter column code type text collate "C";
