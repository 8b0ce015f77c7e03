/**
 * @module dashboard
 * The web dashboard: operators and their sessions, the JSON API behind the pages, the
 * change feed that keeps them live, and the listener that serves them.
 */
export { UserStore, DEFAULT_SESSION_LIMITS, checkNewUser, checkUserName, type DashboardUser, type Session, type SessionLimits } from "./user-store.ts";
export { hashPassword, verifyPassword, checkPassword } from "./password-hash.ts";
export { LoginLimiter, DEFAULT_LOGIN_LIMITS, type LoginLimits } from "./login-limiter.ts";
export { ChangeFeed, CHANGE_POLL_MS } from "./change-feed.ts";
export { startDashboard, type DashboardListener, type DashboardListenerOptions } from "./dashboard-listener.ts";
export { registerDashboard } from "./dashboard-routes.ts";
export { dashboardApi, type DashboardApiServices } from "./dashboard-api.ts";
export { allowedActions, MACHINE_ACTIONS, runMachineAction, type MachineAction } from "./machine-actions.ts";
export { DASHBOARD_MIGRATION } from "./dashboard-schema.ts";
