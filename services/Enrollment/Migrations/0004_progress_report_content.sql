-- What each applied report said, as a fingerprint of its content: the same report id sent again with the same content
-- is a harmless duplicate, with other content (another enrollment, other figures) a learning platform's mistake that
-- must be refused rather than silently dropped. Reports applied before this have none; their enrollment still tells.
alter table progress_reports add column content_fingerprint text;
