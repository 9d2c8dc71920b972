-- Media uploads: settling an uploaded object (ready, duplicate, failed; redelivery changes
-- nothing; no de-duplication across people), deleting with a duplicate taking over, failing
-- abandoned uploads, and the columns and functions only the server may use.
begin;
create extension if not exists pgtap with schema extensions;
select plan(31);

insert into auth.users (id, email) values
  ('53000000-0000-4000-8000-000000000001', 'media-alice@example.com'),
  ('53000000-0000-4000-8000-000000000002', 'media-bob@example.com');
insert into public.media_items (media_id, user_id, type, storage_url, mime_type, declared_size_bytes, created_at) values
  ('53000000-0000-4000-8000-0000000000a1', '53000000-0000-4000-8000-000000000001', 'image', 's3://t530/users/a/1/a.png', 'image/png', 10, now() - interval '3 minutes'),
  ('53000000-0000-4000-8000-0000000000a2', '53000000-0000-4000-8000-000000000001', 'image', 's3://t530/users/a/2/a.png', 'image/png', 10, now() - interval '2 minutes'),
  ('53000000-0000-4000-8000-0000000000a3', '53000000-0000-4000-8000-000000000001', 'image', 's3://t530/users/a/3/a.png', 'image/png', 10, now() - interval '1 minute'),
  ('53000000-0000-4000-8000-0000000000a4', '53000000-0000-4000-8000-000000000001', 'image', 's3://t530/users/a/4/a.png', 'image/png', 10, now()),
  ('53000000-0000-4000-8000-0000000000b1', '53000000-0000-4000-8000-000000000002', 'image', 's3://t530/users/b/1/a.png', 'image/png', 10, now());

-- As the S3-event function.
set local role service_role;
select results_eq($$select processing_status, duplicate_of_media_id, changed from private.settle_media_upload('53000000-0000-4000-8000-0000000000a1', repeat('a', 64), 10, 'image/png', null)$$,
                  $$values ('ready'::text, null::uuid, true)$$, 'a first upload of some bytes becomes ready');
select is((select hash || ' ' || size_bytes || ' ' || detected_mime_type from public.media_items where media_id = '53000000-0000-4000-8000-0000000000a1'),
          repeat('a', 64) || ' 10 image/png', 'a ready item carries its hash, size and detected type');
select results_eq($$select processing_status, duplicate_of_media_id, changed from private.settle_media_upload('53000000-0000-4000-8000-0000000000a2', repeat('a', 64), 10, 'image/png', null)$$,
                  $$values ('duplicate'::text, '53000000-0000-4000-8000-0000000000a1'::uuid, true)$$, 'the same bytes again become a duplicate of the first');
select is((select hash from public.media_items where media_id = '53000000-0000-4000-8000-0000000000a2'), null, 'a duplicate holds no hash of its own');
select results_eq($$select processing_status, duplicate_of_media_id, changed from private.settle_media_upload('53000000-0000-4000-8000-0000000000a2', repeat('a', 64), 10, 'image/png', null)$$,
                  $$values ('duplicate'::text, '53000000-0000-4000-8000-0000000000a1'::uuid, false)$$, 'a redelivered event changes nothing');
select results_eq($$select processing_status, changed from private.settle_media_upload('53000000-0000-4000-8000-0000000000a1', repeat('f', 64), 99, 'image/jpeg', 'late')$$,
                  $$values ('ready'::text, false)$$, 'a settled item is never settled again');
select is((select hash from public.media_items where media_id = '53000000-0000-4000-8000-0000000000a1'), repeat('a', 64), 'so its hash stays');
select results_eq($$select processing_status, duplicate_of_media_id from private.settle_media_upload('53000000-0000-4000-8000-0000000000b1', repeat('a', 64), 10, 'image/png', null)$$,
                  $$values ('ready'::text, null::uuid)$$, 'another person''s identical bytes are not de-duplicated against alice''s');
select results_eq($$select processing_status from private.settle_media_upload('53000000-0000-4000-8000-0000000000a4', null, 10, 'image/jpeg', 'declared image/png but the content is image/jpeg')$$,
                  $$values ('failed'::text)$$, 'a mismatched object fails');
select is((select failure_reason from public.media_items where media_id = '53000000-0000-4000-8000-0000000000a4'),
          'declared image/png but the content is image/jpeg', 'with its reason');
select is((select count(*)::integer from private.settle_media_upload(gen_random_uuid(), repeat('a', 64), 1, null, null)), 0,
          'an unknown item settles nothing');
select lives_ok($$select private.settle_media_upload('53000000-0000-4000-8000-0000000000a3', repeat('a', 64), 10, 'image/png', null)$$,
                'a third copy settles');
select is((select processing_status from public.media_items where media_id = '53000000-0000-4000-8000-0000000000a3'), 'duplicate', 'as a duplicate too');
insert into public.media_items (media_id, user_id, type, storage_url, hash) values
  ('53000000-0000-4000-8000-0000000000b2', '53000000-0000-4000-8000-000000000002', 'image', 's3://t530/users/b/2/planted.png', repeat('c', 64)),
  ('53000000-0000-4000-8000-0000000000b3', '53000000-0000-4000-8000-000000000002', 'image', 's3://t530/users/b/3/real.png', null);
select results_eq($$select processing_status from private.settle_media_upload('53000000-0000-4000-8000-0000000000b3', repeat('c', 64), 10, 'image/png', null)$$,
                  $$values ('ready'::text)$$, 'a hash written on an unsettled row (never by the server) does not make a duplicate');
select is((select hash from public.media_items where media_id = '53000000-0000-4000-8000-0000000000b2'), null, 'that planted hash is cleared');
reset role;

-- As bob, then alice.
set local role authenticated;
select set_config('request.jwt.claims', json_build_object('sub', '53000000-0000-4000-8000-000000000002', 'role', 'authenticated')::text, true);
select is((select count(*)::integer from private.delete_media_item('53000000-0000-4000-8000-0000000000a1')), 0, 'bob cannot delete alice''s item');
select throws_ok($$update public.media_items set processing_status = 'ready'$$, '42501', null, 'a person cannot settle media');
select throws_ok($$update public.media_items set failure_reason = null, duplicate_of_media_id = null$$, '42501', null,
                 'nor write the reason or the original');
select lives_ok($$insert into public.media_items (user_id, type, storage_url, mime_type, declared_size_bytes, declared_sha256)
                  values ('53000000-0000-4000-8000-000000000002', 'document', 's3://t530/users/b/9/x.pdf', 'application/pdf', 5, repeat('0', 64))$$,
                'a person declares size and hash at create');
select set_config('request.jwt.claims', json_build_object('sub', '53000000-0000-4000-8000-000000000001', 'role', 'authenticated')::text, true);
select results_eq($$select object_url from private.delete_media_item('53000000-0000-4000-8000-0000000000a1')$$,
                  $$values (null::text)$$, 'deleting an original with duplicates keeps its object');
select is((select processing_status || ' ' || hash || ' ' || storage_url from public.media_items where media_id = '53000000-0000-4000-8000-0000000000a2'),
          'ready ' || repeat('a', 64) || ' s3://t530/users/a/1/a.png', 'the oldest duplicate takes over its hash and object');
select is((select duplicate_of_media_id from public.media_items where media_id = '53000000-0000-4000-8000-0000000000a3'),
          '53000000-0000-4000-8000-0000000000a2'::uuid, 'the other duplicates follow the heir');
select results_eq($$select object_url from private.delete_media_item('53000000-0000-4000-8000-0000000000a4')$$,
                  $$values ('s3://t530/users/a/4/a.png'::text)$$, 'deleting an item without duplicates frees its object');
select is((select count(*)::integer from public.media_items), 2, 'alice has the heir and its duplicate left');
reset role;

-- Abandoned uploads (as the job).
insert into public.media_items (media_id, user_id, type, storage_url, mime_type, declared_size_bytes, created_at) values
  ('53000000-0000-4000-8000-0000000000c1', '53000000-0000-4000-8000-000000000002', 'image', 's3://t530/users/b/c1/a.png', 'image/png', 10, now() - interval '25 hours'),
  ('53000000-0000-4000-8000-0000000000c2', '53000000-0000-4000-8000-000000000002', 'image', 's3://t530/users/b/c2/a.png', 'image/png', 10, now() - interval '23 hours');
select is((private.fail_abandoned_uploads(interval '1 day') ->> 'rows_failed')::integer >= 1, true, 'the job fails abandoned uploads');
select is((select processing_status || ': ' || failure_reason from public.media_items where media_id = '53000000-0000-4000-8000-0000000000c1'),
          'failed: no upload arrived within 1 day of the request', 'an upload pending over a day fails, saying why');
select is((select processing_status from public.media_items where media_id = '53000000-0000-4000-8000-0000000000c2'), 'pending',
          'a younger one keeps waiting');
select is((select processing_status from public.media_items where media_id = '53000000-0000-4000-8000-0000000000a2'), 'ready',
          'settled items are left alone');

set local role anon;
select throws_ok($$select private.delete_media_item('53000000-0000-4000-8000-0000000000a2')$$, '42501', null, 'anon cannot delete media');
reset role;
set local role authenticated;
select throws_ok($$select private.settle_media_upload('53000000-0000-4000-8000-0000000000b1', repeat('b', 64), 1, null, null)$$,
                 '42501', null, 'a person cannot call the settling function');
select throws_ok($$select private.fail_abandoned_uploads()$$, '42501', null, 'nor run the abandoned-uploads job');
reset role;

select * from finish();
rollback;
