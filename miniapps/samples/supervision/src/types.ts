// The BFF's documents as zhelikit.supervision.* hands them over (snake_case, as its OpenAPI).

export type Action =
  | "create_item" | "dispatch" | "decompose" | "report" | "decide" | "urge" | "manage" | "view" | "dashboard";

export interface Me {
  role: { role: string; unit?: string };
  role_name: string;
  name: string;
  unit: string;
  unit_name: string;
  may: Action[];
}

export interface Unit { code: string; name: string; parent: string | null; depth: number }
export interface Person { employee_code: string; name: string; title: string }
export interface Org { units: Unit[]; leaders: Person[]; office: string }

export interface Progress {
  key: string;
  name: string;
  unit: string;
  target: number;
  value: number;
  completion_permille: number;
}

export interface Task {
  id: string;
  item_id: string;
  item_title: string;
  parent: string | null;
  unit: string;
  unit_name: string;
  content: string;
  due: string;
  days_left: number;
  status: "open" | "done" | "cancelled";
  overdue: boolean;
  progress_permille: number;
  targets: Progress[];
  decomposed: boolean;
  pending_report: string | null;
  may: Action[];
}

export interface Report {
  id: string;
  task_id: string;
  reporter_name: string;
  text: string;
  values: { key: string; value: number; unit: string }[];
  completes: boolean;
  status: "pending" | "approved" | "rejected";
  reason: string | null;
  decided_by_name: string | null;
  created_at: string;
}

export interface Summary {
  id: string;
  title: string;
  priority: "urgent" | "high" | "normal";
  owner_name: string;
  due: string;
  status: string;
  progress_permille: number;
  tasks: number;
  overdue: number;
}

export interface Item {
  summary: Summary;
  item: { source: string; description: string; indicators: { key: string; name: string; unit: string; kind: string; target: number }[] };
  indicators: Progress[];
  tasks: Task[];
  reports: Report[];
  events: { at: string; actor_name: string; action: string; detail: string; task_id: string | null }[];
  notices: { id: string; task_id: string; nudge: string; title: string; receivers: string[]; due_at: string; sent_at: string | null }[];
  may: Action[];
}

export interface Counts {
  tasks: number;
  open: number;
  done: number;
  done_on_time: number;
  overdue: number;
  on_time_permille: number | null;
  progress_permille: number;
}

export interface Dashboard {
  as_of: string;
  items: number;
  totals: Counts;
  units: (Counts & { unit: string; name: string })[];
  indicators: (Progress & { item: string; item_title: string })[];
  overdue: { item: string; task: string; unit_name: string; due: string; days_overdue: number }[];
}

export const PRIORITY_NAMES: Record<string, string> = { urgent: "特急", high: "加急", normal: "平急" };
export const STATUS_NAMES: Record<string, string> = { open: "办理中", done: "已办结", cancelled: "已撤销" };
export const REPORT_NAMES: Record<string, string> = { pending: "待审核", approved: "已通过", rejected: "已退回" };

/** A share in thousandths as a percentage. */
export function percent(permille: number | null | undefined): string {
  return permille == null ? "—" : `${(permille / 10).toFixed(1)}%`;
}

/** Today plus `days`, YYYY-MM-DD, in China. */
export function dayFromToday(days: number): string {
  const d = new Date(Date.now() + 8 * 3600_000 + days * 86_400_000);
  return d.toISOString().slice(0, 10);
}
