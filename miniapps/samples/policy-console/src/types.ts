// The console's documents, as the bridge hands them (the BFF's `Policy`, `PolicyDraft`,
// `Criteria`, `MatchPreview`, snake_case).

export interface Choice {
  code: string;
  name: string;
}

export interface Vocabulary {
  regions: Choice[];
  industries: { section: Choice; divisions: Choice[] }[];
  sizes: Choice[];
  qualifications: Choice[];
  tax_credits: Choice[];
  keywords: string[];
}

export interface Criteria {
  regions: string[];
  industries: string[];
  sizes: string[];
  qualifications: string[];
  tax_credits: string[];
  keywords: string[];
  registered_capital_wan?: { min?: number; max?: number } | null;
  exclusions: { regions: string[]; industries: string[]; abnormal_operations: boolean };
}

export type Grant = { mode: "automatic" } | { mode: "claim"; link: string };

export interface Draft {
  title: string;
  summary: string;
  text: string;
  benefit: string;
  grant: Grant;
  valid_from: string;
  valid_until: string;
  criteria: Criteria;
}

export interface Reason {
  condition: string;
  met: boolean;
  text: string;
}

export interface Preview {
  profiled: number;
  matched: number;
  by_county: { code: string; name: string; count: number }[];
  by_industry: { code: string; name: string; count: number }[];
  examples: { name: string; uscc: string; reasons: Reason[] }[];
}

export interface Delivery {
  matched: number;
  inboxed: number;
  read: number;
  opened: number;
  claimed: number;
  targeted_devices: number;
  pushes_pending: number;
  pushes_accepted: number;
  pushes_retrying: number;
  pushes_possibly_doubled: number;
  pushes_failed: Record<string, number>;
  finished_at?: number;
}

export interface Policy extends Draft {
  id: string;
  status: "draft" | "submitted" | "approved" | "published" | "withdrawn" | "expired";
  status_text: string;
  department: string;
  drafted_by: string;
  approved_by?: string;
  version: number;
  history: { action: string; actor: string; at: number; note?: string }[];
  delivery?: Delivery;
}

/** An empty draft: valid from today for a year, claimed through the forms page. */
export function emptyDraft(): Draft {
  const today = new Date();
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const nextYear = new Date(today);
  nextYear.setFullYear(today.getFullYear() + 1);
  return {
    title: "",
    summary: "",
    text: "",
    benefit: "",
    grant: { mode: "claim", link: "/policies/claim" },
    valid_from: day(today),
    valid_until: day(nextYear),
    criteria: {
      regions: [],
      industries: [],
      sizes: [],
      qualifications: [],
      tax_credits: [],
      keywords: [],
      exclusions: { regions: [], industries: [], abnormal_operations: true },
    },
  };
}

/** What a failure reason is called, for the statistics. */
export const FAILURE_NAMES: Record<string, string> = {
  unregistered: "设备已注销",
  invalid_argument: "消息无效",
  quota_exceeded: "超出配额",
  unavailable: "推送服务不可用",
  unauthenticated: "推送凭证失效",
  channel_not_configured: "通道未配置",
  device_removed: "设备已解绑",
};

/** What each step is called in the history. */
export const ACTION_NAMES: Record<string, string> = {
  drafted: "起草",
  edited: "修改",
  submitted: "提交审核",
  approved: "审核通过",
  returned: "退回",
  published: "发布",
  withdrawn: "撤回",
};
