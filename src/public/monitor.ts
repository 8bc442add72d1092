/** The transparency-log monitor (`vouch log monitor`): consistency, checkpoint archive, alerts. */
export { monitorLog, defaultMonitorStateDir, loadLogKey, watchRules } from "../api/monitor.js";
export type { MonitorLogOptions, MonitorLogResult, WatchFlags } from "../api/monitor.js";
