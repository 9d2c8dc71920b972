-- private.search_text_hits plans each statement for its actual query words and caller. With the
-- generic plans PL/pgSQL switches to after five calls, the planner cannot see how selective a
-- tsquery parameter is and prefers the btree on user_id (20261202130200) for the word counts and
-- the ranking, filtering every one of the caller's documents: 22 ms at 10k documents, against
-- 3 ms with custom plans (planning costs well under a millisecond).

alter function private.search_text_hits(text, text[], uuid, timestamptz, timestamptz, integer)
  set plan_cache_mode = force_custom_plan;
