import { create } from 'zustand';
import {
  parseFlowDocument,
  parseJsonText,
  serializeFlow,
  validateFlow,
  validateFlowText,
  type FlowProblem,
  type FlowRecord,
  type FlowSummary,
} from '@tributary/shared';
import { api, ApiFailure } from './api.js';
import { validationCatalog } from './catalog.js';
import { emptyDocument } from './doc-mapping.js';
import { createDocStore, currentDocument } from './doc-store.js';
import { useStats } from './stats-store.js';
import { useView } from './view-store.js';

/** The flow opened last in this browser: opened again on the next visit. */
const LAST_FLOW = 'tributary.lastFlow';

function remember(id: string | undefined): void {
  try {
    if (id) localStorage.setItem(LAST_FLOW, id);
    else localStorage.removeItem(LAST_FLOW);
  } catch {
    // Storage refused (private mode): the start falls back on a running flow.
  }
}

function lastFlow(): string | undefined {
  try {
    return localStorage.getItem(LAST_FLOW) ?? undefined;
  } catch {
    return undefined;
  }
}

/** The flow being edited (one per page). */
export const useDoc = createDocStore(emptyDocument(newFlowId(), 'Untitled flow'));

/**
 * A line under the top bar. `live` ones describe the flow's run ("Deployed: running") and are
 * replaced as soon as the run changes; ok and info ones go away on their own.
 */
export type Notice = { kind: 'info' | 'error' | 'ok'; text: string; live?: boolean; problems?: FlowProblem[] };

/** Page state that is neither the document nor live figures. */
export interface UiState {
  flows: FlowSummary[];
  notice: Notice | undefined;
  busy: string | undefined;
  /** An import that was refused: its problems, shown without touching the current flow. */
  importProblems: { source: string; problems: FlowProblem[] } | undefined;
  /** A save that hit a newer rev on the server. */
  conflict: FlowRecord | undefined;
  problems: FlowProblem[];
}

export const useUi = create<UiState>()(() => ({
  flows: [],
  notice: undefined,
  busy: undefined,
  importProblems: undefined,
  conflict: undefined,
  problems: [],
}));

const NOTICE_MS = 6000;
let noticeTimer: ReturnType<typeof setTimeout> | undefined;

export function notify(
  kind: Notice['kind'],
  text: string,
  extra: { live?: boolean; problems?: FlowProblem[] } = {},
): void {
  const notice: Notice = { kind, text, ...extra };
  useUi.setState({ notice });
  clearTimeout(noticeTimer);
  if (kind !== 'error')
    noticeTimer = setTimeout(() => {
      if (useUi.getState().notice === notice) useUi.setState({ notice: undefined });
    }, NOTICE_MS);
}

/** The run of the open flow changed (socket `flow:status`): the notice about it follows. */
export function followRunState(state: string, reason: string | undefined, previous: string | undefined): void {
  const notice = useUi.getState().notice;
  if (state === 'failed') notify('error', `Flow failed: ${reason ?? 'no reason given'}`, { live: true });
  else if (state === previous) return;
  else if (state === 'stopped' && (previous === 'running' || notice?.live))
    notify('info', reason ? `Flow stopped: ${reason}` : 'Flow stopped', { live: true });
  else if (state === 'finished') notify('info', 'Flow finished: its sources have nothing more to send', { live: true });
  else if (state === 'running' && notice?.live && previous !== 'running') notify('ok', 'Flow running', { live: true });
}

export function newFlowId(): string {
  return `flow-${Date.now().toString(36)}`;
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

function describe(e: unknown): string {
  return e instanceof ApiFailure ? `${e.body.code}: ${e.message}` : (e as Error).message;
}

export async function refreshFlows(): Promise<void> {
  try {
    useUi.setState({ flows: (await api.flows()).flows });
  } catch (e) {
    // A missing token is asked for by the sign-in prompt, not reported every 10 s.
    if (!(e instanceof ApiFailure && e.status === 401)) notify('error', describe(e));
  }
}

function confirmDiscard(): boolean {
  return !useDoc.getState().dirty || window.confirm('Discard the unsaved changes of this flow?');
}

export function newFlow(): void {
  if (!confirmDiscard()) return;
  const id = newFlowId();
  useDoc.getState().load(emptyDocument(id, 'Untitled flow'), undefined);
  useStats.getState().reset(id);
  useView.getState().setFlow(undefined, true);
  useView.getState().setView('editor');
  notify('info', `New flow "${id}" (not saved yet)`);
}

/** Opens a saved flow; its address (`#/flows/<id>`) follows, keeping the dashboard if it is shown. */
export async function openFlow(id: string): Promise<boolean> {
  if (!confirmDiscard()) {
    // Stay: the address goes back to the flow that is still open.
    useView.getState().setFlow(useDoc.getState().rev === undefined ? undefined : useDoc.getState().docMeta.id);
    return false;
  }
  try {
    const record = await api.flow(id);
    useDoc.getState().load(record.flow, record.rev);
    useStats.getState().reset(id);
    useStats.getState().setStatus(record.state, record.lastError);
    useUi.setState({ notice: undefined, conflict: undefined });
    useView.getState().setFlow(id, useView.getState().flowId !== id);
    remember(id);
    return true;
  } catch (e) {
    notify(
      'error',
      e instanceof ApiFailure && e.status === 404 ? `There is no flow "${id}" on the runtime` : describe(e),
    );
    if (e instanceof ApiFailure && e.status === 404 && lastFlow() === id) remember(undefined);
    return false;
  }
}

/**
 * What the page opens with: the flow its address names, else the flow opened last here, else a
 * running flow, else the list of flows (when there are any) or a new flow to build.
 */
export async function startUp(route: { view: string; flowId: string | undefined }): Promise<void> {
  const listed = refreshFlows();
  if (route.flowId !== undefined) {
    if (!(await openFlow(route.flowId))) useView.getState().setView('home');
    return;
  }
  await listed;
  if (route.view === 'home') return;
  const flows = useUi.getState().flows;
  const last = lastFlow();
  const pick = flows.find((f) => f.id === last) ?? flows.find((f) => f.state === 'running');
  if (pick) await openFlow(pick.id);
  else if (flows.length > 0) useView.getState().setView('home');
}

/** Deletes the open flow on the runtime (stopping it first) and opens a new, empty one. */
export async function deleteFlow(): Promise<void> {
  const { id } = useDoc.getState().docMeta;
  try {
    await api.remove(id);
  } catch (e) {
    notify('error', `Flow not deleted: ${describe(e)}`);
    return;
  }
  const next = newFlowId();
  useDoc.getState().load(emptyDocument(next, 'Untitled flow'), undefined);
  useStats.getState().reset(next);
  useView.getState().setFlow(undefined);
  if (lastFlow() === id) remember(undefined);
  await refreshFlows();
  notify('ok', `Deleted flow "${id}"`);
}

/** Saves with the rev the edit started from; a stale rev (409) is offered to the user, never overwritten silently. */
export async function save(overwriteRev?: string): Promise<boolean> {
  const doc = currentDocument(useDoc.getState());
  const rev = overwriteRev ?? useDoc.getState().rev;
  useUi.setState({ busy: 'Saving…', conflict: undefined });
  try {
    const record = rev === undefined ? await api.create(doc) : await api.replace(doc, rev);
    useDoc.getState().markSaved(record.rev, doc);
    notify('ok', `Saved (rev ${record.rev})`);
    if (rev === undefined) useStats.getState().resubscribe();
    // A first save gives the flow its address.
    useView.getState().setFlow(doc.id);
    remember(doc.id);
    void refreshFlows();
    return true;
  } catch (e) {
    if (e instanceof ApiFailure && e.status === 409 && e.body.current) {
      useUi.setState({ conflict: e.body.current });
      notify(
        'error',
        e.body.code === 'E_FLOW_EXISTS'
          ? `A flow with the id "${doc.id}" already exists on the server.`
          : 'This flow was changed on the server since you opened it.',
      );
    } else if (e instanceof ApiFailure && e.body.problems) {
      useDoc.getState().setDeployProblems(e.body.problems);
      notify('error', `Not saved: ${count(e.body.problems.length, 'problem')}`, { problems: e.body.problems });
    } else notify('error', `Not saved: ${describe(e)}`);
    return false;
  } finally {
    useUi.setState({ busy: undefined });
  }
}

/** Saves when needed, then deploys; problems of a refused deploy go onto their nodes. */
export async function deploy(): Promise<void> {
  const doc = useDoc.getState();
  if ((doc.dirty || doc.rev === undefined) && !(await save())) return;
  const id = useDoc.getState().docMeta.id;
  useUi.setState({ busy: 'Deploying…' });
  useStats.getState().setStatus('deploying');
  try {
    const record = await api.deploy(id);
    useStats.getState().setStatus(record.state, record.lastError);
    useDoc.getState().setDeployProblems([]);
    useStats.getState().resubscribe();
    notify(record.state === 'failed' ? 'error' : 'ok', `Deployed: ${record.state}`, { live: true });
  } catch (e) {
    // A refused redeploy leaves the running version running: show the server's state, not "failed".
    await api
      .flow(id)
      .then((record) => useStats.getState().setStatus(record.state, record.lastError))
      .catch(() => useStats.getState().setStatus('failed', describe(e)));
    if (e instanceof ApiFailure) {
      const problems: FlowProblem[] = e.body.problems ?? [];
      if (e.body.nodeId) problems.push({ code: e.body.code, path: '', message: e.message, nodeId: e.body.nodeId });
      useDoc.getState().setDeployProblems(problems);
      if (problems.length > 0) {
        const single = problems.length === 1 && e.body.nodeId ? `: ${e.message}` : '';
        notify('error', `Deploy failed: ${count(problems.length, 'problem')}${single}`, { problems });
        return;
      }
    }
    notify('error', `Deploy failed: ${describe(e)}`);
  } finally {
    useUi.setState({ busy: undefined });
    void refreshFlows();
  }
}

export async function stop(): Promise<void> {
  useUi.setState({ busy: 'Stopping…' });
  try {
    const record = await api.stop(useDoc.getState().docMeta.id);
    useStats.getState().setStatus(record.state);
    notify('ok', 'Stopped', { live: true });
  } catch (e) {
    notify('error', `Stop failed: ${describe(e)}`);
  } finally {
    useUi.setState({ busy: undefined });
    void refreshFlows();
  }
}

/**
 * Checks an imported flow JSON; only a valid one replaces the editor's flow (as unsaved changes).
 * A refused import lists its problems with their JSON paths and leaves the current flow alone.
 */
export function importText(text: string, source: string): boolean {
  const result = validateFlowText(text, validationCatalog);
  if (!result.ok) {
    useUi.setState({ importProblems: { source, problems: result.problems } });
    return false;
  }
  // The document as written (not the validated one, which has config defaults filled in).
  const parsed = parseJsonText(text);
  const structure = parsed.ok ? parseFlowDocument(parsed.value) : undefined;
  const flow = structure?.ok ? structure.flow : result.flow;
  if (!confirmDiscard()) return false;
  const known = useUi.getState().flows.find((f) => f.id === flow.id);
  // An id the server has already: Save will meet a 409 and ask before replacing.
  useDoc.getState().load(flow, undefined, true);
  useStats.getState().reset(flow.id);
  useView.getState().setFlow(undefined, true);
  useUi.setState({ importProblems: undefined });
  notify(
    'info',
    known
      ? `Imported "${flow.id}" from ${source}; a flow with this id exists: saving will ask before replacing it`
      : `Imported "${flow.id}" from ${source} (not saved yet)`,
  );
  return true;
}

/** The document as the server's export writes it (`serializeFlow`), downloaded as `<id>.flow.json`. */
export function exportFlow(): void {
  const doc = currentDocument(useDoc.getState());
  const blob = new Blob([serializeFlow(doc)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = `${doc.id}.flow.json`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Client-side validation (debounced by the caller): problems on fields and as node badges. */
export function revalidate(): void {
  const result = validateFlow(currentDocument(useDoc.getState()), validationCatalog);
  useUi.setState({ problems: result.ok ? [] : result.problems });
}

/** Clears the selection, so the inspector shows the flow's settings (the top bar's gear). */
export function showFlowSettings(): void {
  const doc = useDoc.getState();
  doc.onNodesChange(doc.nodes.filter((n) => n.selected).map((n) => ({ type: 'select', id: n.id, selected: false })));
  doc.onEdgesChange(doc.edges.filter((e) => e.selected).map((e) => ({ type: 'select', id: e.id, selected: false })));
}
