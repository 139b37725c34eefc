--
-- PostgreSQL database dump
--

\restrict MrozGBxLuFNqg8ryb4UvfLGFFUxsFRPUjGInR55gBzakm8nGPhZC6HHteJHfylH

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: audit; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.audit (
    id bigint NOT NULL,
    at timestamp with time zone NOT NULL,
    actor text NOT NULL,
    action text NOT NULL,
    uri text DEFAULT ''::text NOT NULL,
    version integer DEFAULT 0 NOT NULL,
    batch_id text DEFAULT ''::text NOT NULL,
    reason text DEFAULT ''::text NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL
);


--
-- Name: audit_head; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.audit_head (
    one smallint NOT NULL,
    hash text NOT NULL,
    CONSTRAINT audit_head_one_check CHECK ((one = 1))
);


--
-- Name: audit_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.audit_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: audit_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.audit_id_seq OWNED BY public.audit.id;


--
-- Name: batches; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.batches (
    id text NOT NULL,
    profile text NOT NULL,
    doctype text NOT NULL,
    inputs text NOT NULL,
    state text NOT NULL,
    started_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone,
    n_read integer DEFAULT 0 NOT NULL,
    n_issued integer DEFAULT 0 NOT NULL,
    n_updated integer DEFAULT 0 NOT NULL,
    n_unchanged integer DEFAULT 0 NOT NULL,
    n_rejected integer DEFAULT 0 NOT NULL,
    fingerprint text DEFAULT ''::text NOT NULL,
    mark_input integer DEFAULT 0 NOT NULL,
    mark_seq integer DEFAULT '-1'::integer NOT NULL,
    mark_rejects_path text DEFAULT ''::text NOT NULL,
    mark_rejects_size bigint DEFAULT 0 NOT NULL,
    release_at timestamp with time zone
);


--
-- Name: documents; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.documents (
    uri text NOT NULL,
    doctype text NOT NULL,
    doc_id text NOT NULL,
    version integer NOT NULL,
    object_key text NOT NULL,
    object_sha256 text NOT NULL,
    content_hash text NOT NULL,
    status text NOT NULL,
    search_key text NOT NULL,
    uid_hash text,
    holder_name text NOT NULL,
    holder_dob text NOT NULL,
    issue_date text NOT NULL,
    batch_id text NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    release_at timestamp with time zone
);


--
-- Name: outbox; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.outbox (
    id bigint NOT NULL,
    uri text NOT NULL,
    version integer NOT NULL,
    action text NOT NULL,
    doctype text NOT NULL,
    doc_name text NOT NULL,
    doc_id text NOT NULL,
    issued_on text NOT NULL,
    valid_from text NOT NULL,
    valid_to text NOT NULL,
    aadhaar_enc bytea NOT NULL,
    state text DEFAULT 'pending'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone NOT NULL,
    last_error text,
    lease_owner text,
    created_at timestamp with time zone NOT NULL,
    pushed_at timestamp with time zone,
    CONSTRAINT outbox_action_check CHECK ((action = ANY (ARRAY['A'::text, 'U'::text, 'D'::text]))),
    CONSTRAINT outbox_state_check CHECK ((state = ANY (ARRAY['pending'::text, 'pushed'::text, 'dead'::text])))
);


--
-- Name: outbox_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.outbox_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: outbox_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.outbox_id_seq OWNED BY public.outbox.id;


--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    version integer NOT NULL
);


--
-- Name: versions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.versions (
    uri text NOT NULL,
    version integer NOT NULL,
    object_key text NOT NULL,
    object_sha256 text NOT NULL,
    size bigint NOT NULL,
    content_hash text NOT NULL,
    status text NOT NULL,
    batch_id text NOT NULL,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: audit id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit ALTER COLUMN id SET DEFAULT nextval('public.audit_id_seq'::regclass);


--
-- Name: outbox id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.outbox ALTER COLUMN id SET DEFAULT nextval('public.outbox_id_seq'::regclass);


--
-- Data for Name: audit; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.audit VALUES (1, '2026-12-02 05:33:37.831395+00', 'ingest', 'issue', 'in.gov.test-SSCER-001', 1, 'b1', '', '', 'c10e7c34baa7ef398cc7d6c9acce33992cb04ad970a8b5a00053c14232231169');
INSERT INTO public.audit VALUES (2, '2026-12-02 05:33:37.831395+00', 'ingest', 'issue', 'in.gov.test-SSCER-002', 1, 'b1', '', 'c10e7c34baa7ef398cc7d6c9acce33992cb04ad970a8b5a00053c14232231169', '252f69f0af1437dc5086eca929cf2009900c3c2b779a830d01545fdd63feba8b');
INSERT INTO public.audit VALUES (3, '2026-12-02 05:33:37.831395+00', 'ingest', 'issue', 'in.gov.test-SSCER-003', 1, 'b1', '', '252f69f0af1437dc5086eca929cf2009900c3c2b779a830d01545fdd63feba8b', '26d87508c6dd4bebe30cda13fad07a77b00322589c4dd4b95c2ac3e598bf5103');
INSERT INTO public.audit VALUES (4, '2026-12-02 05:33:37.837464+00', 'push', 'push', 'in.gov.test-SSCER-001', 1, '', 'A', '26d87508c6dd4bebe30cda13fad07a77b00322589c4dd4b95c2ac3e598bf5103', '8eabaa400448e8c2e3f30ccbd1f180c0c99ff0584e788f45b964c315e6629053');
INSERT INTO public.audit VALUES (5, '2026-12-02 05:33:37.856249+00', 'push', 'push-dead', 'in.gov.test-SSCER-002', 1, '', 'A: locker said no', '8eabaa400448e8c2e3f30ccbd1f180c0c99ff0584e788f45b964c315e6629053', '94f550f8ffd94dd624cef57de5ab1a5551a1ed5c2f072f0532c18d1869280f0c');
INSERT INTO public.audit VALUES (6, '2026-12-02 05:33:37.857767+00', 'op', 'revoke', 'in.gov.test-SSCER-001', 2, 'b1', 'typo', '94f550f8ffd94dd624cef57de5ab1a5551a1ed5c2f072f0532c18d1869280f0c', 'f7d90674f42da365f106fa3b3663f7b46f2432d1637119317fb59a6461ba7515');
INSERT INTO public.audit VALUES (7, '2026-12-02 05:33:37.858869+00', 'api:org', 'pull', 'in.gov.test-SSCER-002', 1, '', '', 'f7d90674f42da365f106fa3b3663f7b46f2432d1637119317fb59a6461ba7515', 'e1479029daf3bdd5fd69cf9e44caaaba0ba6f3c71a4f416131c3773c30b2047f');


--
-- Data for Name: audit_head; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.audit_head VALUES (1, 'e1479029daf3bdd5fd69cf9e44caaaba0ba6f3c71a4f416131c3773c30b2047f');


--
-- Data for Name: batches; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.batches VALUES ('b1', 'cbse', 'SSCER', 'a.csv', 'done', '2025-05-01 10:00:00+00', '2025-05-01 10:05:00+00', 3, 3, 0, 0, 0, 'fp1', 0, 2, '', 0, NULL);
INSERT INTO public.batches VALUES ('b2', 'cbse', 'SSCER', 'b.csv', 'running', '2025-05-02 10:00:00+00', NULL, 0, 0, 0, 0, 0, 'fp2', 0, -1, '', 0, NULL);


--
-- Data for Name: documents; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.documents VALUES ('in.gov.test-SSCER-002', 'SSCER', '002', 1, 'in.gov.test/SSCER/002/v1.xml', 'ab002', 'h002', 'A', 'RollNo=002Year=2025', 'u002', 'Holder 002', '01-01-2000', '01-05-2025', 'b1', '2026-12-02 05:33:37.827182+00', NULL);
INSERT INTO public.documents VALUES ('in.gov.test-SSCER-003', 'SSCER', '003', 1, 'in.gov.test/SSCER/003/v1.xml', 'ab003', 'h003', 'A', 'RollNo=003Year=2025', 'u003', 'Holder 003', '01-01-2000', '01-05-2025', 'b1', '2026-12-02 05:33:37.827182+00', '2099-06-01 09:00:00+00');
INSERT INTO public.documents VALUES ('in.gov.test-SSCER-001', 'SSCER', '001', 2, 'in.gov.test/SSCER/001/v1.xml', 'ab001', 'h001', 'R', 'RollNo=001Year=2025', 'u001', 'Holder 001', '01-01-2000', '01-05-2025', 'b1', '2026-12-02 05:33:37.856977+00', NULL);


--
-- Data for Name: outbox; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.outbox VALUES (3, 'in.gov.test-SSCER-003', 1, 'A', 'SSCER', 'Marksheet', '003', '01/05/2025', '01/05/2025', '', '\x010203', 'pending', 0, '2099-06-01 09:00:00+00', NULL, NULL, '2026-12-02 05:33:37.827182+00', NULL);
INSERT INTO public.outbox VALUES (1, 'in.gov.test-SSCER-001', 1, 'A', 'SSCER', 'Marksheet', '001', '01/05/2025', '01/05/2025', '', '\x010203', 'pushed', 1, '2026-12-02 05:34:37.835638+00', NULL, NULL, '2026-12-02 05:33:37.827182+00', '2026-12-02 05:33:37.83702+00');
INSERT INTO public.outbox VALUES (2, 'in.gov.test-SSCER-002', 1, 'A', 'SSCER', 'Marksheet', '002', '01/05/2025', '01/05/2025', '', '\x010203', 'dead', 1, '2026-12-02 05:34:37.83799+00', 'locker said no', NULL, '2026-12-02 05:33:37.827182+00', NULL);


--
-- Data for Name: schema_migrations; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.schema_migrations VALUES (1);
INSERT INTO public.schema_migrations VALUES (2);


--
-- Data for Name: versions; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.versions VALUES ('in.gov.test-SSCER-001', 1, 'in.gov.test/SSCER/001/v1.xml', 'ab001', 100, 'h001', 'A', 'b1', '2026-12-02 05:33:37.827182+00');
INSERT INTO public.versions VALUES ('in.gov.test-SSCER-002', 1, 'in.gov.test/SSCER/002/v1.xml', 'ab002', 200, 'h002', 'A', 'b1', '2026-12-02 05:33:37.827182+00');
INSERT INTO public.versions VALUES ('in.gov.test-SSCER-003', 1, 'in.gov.test/SSCER/003/v1.xml', 'ab003', 300, 'h003', 'A', 'b1', '2026-12-02 05:33:37.827182+00');
INSERT INTO public.versions VALUES ('in.gov.test-SSCER-001', 2, 'in.gov.test/SSCER/001/v1.xml', 'ab001', 110, 'h001', 'R', 'b1', '2026-12-02 05:33:37.856977+00');


--
-- Name: audit_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.audit_id_seq', 7, true);


--
-- Name: outbox_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.outbox_id_seq', 3, true);


--
-- Name: audit_head audit_head_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_head
    ADD CONSTRAINT audit_head_pkey PRIMARY KEY (one);


--
-- Name: audit audit_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit
    ADD CONSTRAINT audit_pkey PRIMARY KEY (id);


--
-- Name: batches batches_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.batches
    ADD CONSTRAINT batches_pkey PRIMARY KEY (id);


--
-- Name: documents documents_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.documents
    ADD CONSTRAINT documents_pkey PRIMARY KEY (uri);


--
-- Name: outbox outbox_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT outbox_pkey PRIMARY KEY (id);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: versions versions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.versions
    ADD CONSTRAINT versions_pkey PRIMARY KEY (uri, version);


--
-- Name: audit_uri; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX audit_uri ON public.audit USING btree (uri, id);


--
-- Name: batches_resume; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX batches_resume ON public.batches USING btree (profile, fingerprint, state);


--
-- Name: documents_held; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX documents_held ON public.documents USING btree (release_at) WHERE (release_at IS NOT NULL);


--
-- Name: documents_search; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX documents_search ON public.documents USING btree (doctype, search_key);


--
-- Name: documents_uid; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX documents_uid ON public.documents USING btree (doctype, uid_hash) WHERE (uid_hash IS NOT NULL);


--
-- Name: outbox_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX outbox_due ON public.outbox USING btree (next_attempt_at) WHERE (state = 'pending'::text);


--
-- Name: outbox_state; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX outbox_state ON public.outbox USING btree (state);


--
-- Name: outbox_uri; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX outbox_uri ON public.outbox USING btree (uri, id);


--
-- PostgreSQL database dump complete
--

\unrestrict MrozGBxLuFNqg8ryb4UvfLGFFUxsFRPUjGInR55gBzakm8nGPhZC6HHteJHfylH

