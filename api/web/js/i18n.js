// Chinese text for the API's error codes (its messages are English). A code
// may have a more precise text for one field ("CODE:field"); {name} takes the
// error's field of that name (e.g. {remaining}). Unknown codes keep the
// server's message. tests/test_web_i18n.py checks every domain code is here.
const ZH = {
  // kernel: any domain
  NOT_FOUND: "找不到该记录",
  INVALID: "输入无效",
  "INVALID:customerPhone": "请输入正确的手机号（11 位手机号或带区号的固话）",
  "INVALID:amountFen": "请输入正确的金额",
  "INVALID:code": "提货码格式不对",
  REQUIRED: "必填",
  INVALID_ID: "编号无效",
  IDEMPOTENCY_CONFLICT: "这次提交与之前的不一致，请刷新页面后重试",
  TOO_LONG: "内容太长",
  OUT_OF_RANGE: "数值或日期超出允许范围",
  INVALID_CHARACTER: "含有不允许的字符",
  // leaders: applications, commission, payouts
  ALREADY_APPLIED: "已经申请过团长",
  NOT_A_CUSTOMER: "该号码不是居民账号",
  INVALID_STATUS: "当前状态下不能这样操作",
  INVALID_WINDOW: "时间段无效",
  INVALID_COORDINATES: "坐标无效",
  COORDINATES_REQUIRED: "请提供坐标",
  ADDRESS_NOT_FOUND: "找不到该地址，请核对或直接提供坐标",
  UNKNOWN_JOB_KIND: "未知的任务类型",
  INVALID_PHONE: "请输入正确的手机号",
  INVALID_NAME: "名称无效",
  REASON_REQUIRED: "请填写原因",
  HELPER_NOT_A_CUSTOMER: "该号码不是居民账号，不能登记为帮手",
  HELPER_ELSEWHERE: "此人已是其他自提点的帮手",
  TOO_MANY_HELPERS: "帮手人数已达上限",
  HELPER_NOT_PENDING: "该帮手申请已处理",
  INVALID_RATE: "佣金比例无效",
  INVALID_LEVEL: "等级无效",
  INVALID_RECRUITER: "推荐人无效",
  RECRUITER_ALREADY_SET: "已经有推荐人",
  PERIOD_NOT_CLOSED: "该结算周期还没有结束",
  PAYOUT_BELOW_MINIMUM: "低于最低提现金额",
  INSUFFICIENT_BALANCE: "可提现余额不足",
  NOTHING_TO_EXPORT: "没有可导出的提现",
  // fulfilment: catalogue and campaigns
  DUPLICATE_NAME: "名称重复",
  NOT_A_SUPPLIER_ACCOUNT: "不是供应商账号",
  INVALID_TIMES: "时间无效",
  CAMPAIGN_EXISTS: "这一天已有团购",
  DUPLICATE_ITEM: "商品重复",
  INVALID_PRICE: "价格无效",
  CAMPAIGN_STARTED: "团购已开始，不能修改",
  // orders
  INVALID_QUANTITY: "数量无效（每件 1 件起）",
  SOLD_OUT: "库存不足，仅剩 {remaining} 件",
  LIMIT_EXCEEDED: "超过限购，还可买 {remaining} 件",
  CAMPAIGN_CLOSED: "团购已结束，不能下单",
  PICKUP_POINT_INACTIVE: "该自提点暂停接单",
  PICKUP_POINT_NOT_SERVED: "该团购不配送到这个自提点",
  ITEM_NOT_FOUND: "没有这个商品",
  MIXED_CAMPAIGNS: "一个订单只能包含同一场团购的商品",
  NOT_CANCELLABLE: "该订单不能取消",
  AFTER_CUTOFF: "已截单，不能取消，请联系平台客服",
  PAYMENT_REJECTED: "支付失败",
  // purchasing
  RECEIVING_CLOSED: "收货已结束",
  NOT_ON_PURCHASE_ORDER: "不在采购单上",
  INVALID_UNITS: "件数无效",
  // routes and delivery
  ROUTING_MATRIX_UNAVAILABLE: "暂时无法计算路线距离",
  NOTHING_TO_PLAN: "没有需要配送的自提点",
  NO_VEHICLES: "没有可用车辆",
  PLAN_NOT_EDITABLE: "线路方案不能再修改",
  STALE_PLAN: "线路方案已被修改，请刷新",
  CAPACITY_EXCEEDED: "超出车辆容量",
  WINDOW_MISSED: "赶不上收货时间",
  SHIFT_EXCEEDED: "超出司机工作时长",
  INVALID_POSITION: "位置无效",
  LOCKED_STOP: "站点已锁定",
  PLAN_NOT_PUBLISHED: "配送路线还没有发布",
  DAY_ALREADY_PUBLISHED: "这天的路线已经发布",
  NOT_YOUR_ROUTE: "这条路线没有分配给你，不能报告到达或交接",
  DRIVER_DISABLED: "该司机账号已停用",
  ALREADY_SIGNED: "已经签收过了",
  NOT_DELIVERED: "货还没送到，不能签收",
  INVALID_ISSUE: "缺损数量不能超过应到数量",
  // pickup
  NOT_A_VERIFIER: "你不能核销这个自提点的订单",
  TOO_MANY_ATTEMPTS: "错误次数太多，请稍后再试",
  NOT_ARRIVED: "货还没到自提点",
  ORDER_NOT_PAID: "订单未支付",
  NOTHING_TO_PICK_UP: "没有可提的商品",
  // after-sale
  NOT_PICKED_UP: "还没有提货",
  AFTER_SALE_WINDOW_CLOSED: "已过售后期限",
  QUANTITY_EXCEEDED: "数量超过可退数量",
  ALREADY_DECIDED: "已经处理过了",
  // sign-in
  INVALID_PHONE: "请输入正确的手机号",
  RATE_LIMITED: "请求过于频繁，请 {remaining} 秒后再试",
  SMS_UNAVAILABLE: "短信发送失败，请稍后再试",
  WRONG_CODE: "验证码错误，还可尝试 {remaining} 次",
  CODE_EXPIRED: "验证码已过期，请重新获取",
  CODE_USED: "验证码已使用，请重新获取",
  CODE_LOCKED: "错误次数过多，请 {remaining} 秒后再试",
  ACCOUNT_DISABLED: "账号已停用",
  REFRESH_TOKEN_INVALID: "登录已失效，请重新登录",
  REFRESH_TOKEN_EXPIRED: "登录已过期，请重新登录",
  REFRESH_TOKEN_REUSED: "登录异常，已退出所有设备，请重新登录",
  SESSION_REVOKED: "已退出登录，请重新登录",
  WECHAT_CODE_INVALID: "微信登录已失效，请重新登录",
  WECHAT_UNAVAILABLE: "微信登录暂不可用，请稍后再试或使用手机号登录",
  PHONE_TAKEN: "该手机号已绑定其他账号",
  PHONE_ALREADY_BOUND: "当前账号已绑定手机号",
  // staff accounts
  SELF_CHANGE: "不能停用自己的账号或修改自己的角色",
  NOT_STAFF_ROLE: "只能为员工账号设置该角色",
  SUPPLIER_REQUIRED: "请选择供应商账号所属的供应商",
};

/** The Chinese text of a userError (code, field, message, remaining...). */
export function zh(error) {
  const field = (error.field || []).filter((p) => p !== "input").at(-1);
  const text = ZH[`${error.code}:${field}`] ?? ZH[error.code];
  if (text === undefined) return error.message;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (error[name] ?? whole));
}
