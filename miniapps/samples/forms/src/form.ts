// What the core hands the page about a form and a draft (the bridge's `zhelikit.forms.*`).

/** A field of a form's definition, as the engine has it. */
export interface Field {
  name: string;
  label: string;
  type: string;
  required?: boolean;
  read_only?: boolean;
  calculate?: string | null;
  prefill?: string | null;
  choices?: string;
  fields?: Field[];
  min?: number;
  max?: number | null;
}

export interface Choice {
  value: string;
  label: string;
}

export interface Definition {
  id: string;
  version: number;
  title: string;
  fields: Field[];
  choices: Record<string, Choice[]>;
  routing?: { department: string; title: string; fields: string[] }[];
}

export interface Problem {
  path: string;
  code: string;
  message: string;
}

/** An answer filled by 一表通 and where it came from. */
export interface Filled {
  field: string;
  verified: boolean;
  source: string;
  provider: string;
  ageSecs: number;
  fromInstance: string | null;
}

export interface Unfilled {
  source: string;
  provider: string;
  reason: string;
  fields: string[];
}

export interface Draft {
  draftId: string;
  formId: string;
  version: number;
  answers: Record<string, unknown>;
  problems: Problem[];
  droppedFields: string[];
  supersedes: string | null;
  updatedAt: number;
  filled: Filled[];
  unfilled: Unfilled[];
  hidden: string[];
  options: Record<string, string[]>;
  computed: Record<string, unknown>;
}

export interface Part {
  department: string;
  departmentName: string;
  title: string;
  status: string;
  statusText: string;
  reason: string | null;
  caseNumber: string | null;
}

export interface Submission {
  instanceId: string;
  formId: string;
  title: string;
  status: string;
  statusText: string;
  receivedAt: number;
  supersedes: string | null;
  supersededBy: string | null;
  parts: Part[];
}

export interface Outgoing {
  instanceId: string;
  formId: string;
  state: "queued" | "sent" | "refused";
  refusal: string | null;
  problems: Problem[];
  submission: Submission | null;
}

export interface FormInfo {
  id: string;
  version: number;
  title: string;
  departments: string[];
}

/** Every field's label by name (groups and repeats unfolded), for saying which are left. */
export function labels(fields: Field[], out: Record<string, string> = {}): Record<string, string> {
  for (const f of fields) {
    out[f.name] = f.label;
    if (f.fields) labels(f.fields, out);
  }
  return out;
}
