extension BoardAssets {
    /// `/board/i18n.js`: the page's words in Chinese (first) and English, and
    /// how times, durations and people are written in each.
    static let languageScript = #"""
const zh = {
  title: '社区公示板 · Civitas', board: '社区公示板', boardOf: '{community} 社区公示板', skip: '跳到正文', loading: '正在加载…',
  sections: '栏目', switchLanguage: '切换语言 Switch language', listSeparator: '、',
  tabNotices: '公告', tabProposals: '议事表决', tabRequests: '服务请求', tabProviders: '服务监督', tabPoints: '积分与奖励', tabBlocks: '区块',
  live: '● 实时更新', reconnecting: '○ 正在重新连接…', headAt: '最新区块 #{height}（{time}）',
  openKey: '打开密钥', closeKey: '关闭密钥', signedInAs: '当前身份：',
  keyTitle: '打开您的密钥', keyHelp: '密钥只在本浏览器内使用，不会发送给任何节点。', keyFileLegend: '密钥文件', keyFile: '密钥文件（.pem）',
  keyPaste: '或粘贴密钥内容', keyRemember: '在本浏览器保存一份由口令保护的副本', keyPassphrase: '口令（至少 8 个字符）', keyOpen: '打开密钥',
  cancel: '取消', savedKeys: '本浏览器保存的密钥', passphraseFor: '{name} 的口令', unlock: '解锁', unlocking: '正在解锁…', forget: '删除',
  opening: '正在打开…', wrongPassphrase: '口令不正确。', passphraseShort: '保存副本需要至少 8 个字符的口令。',
  keyUnknown: '这个密钥不是 {community} 社区登记的主体。', keyRevoked: '这个主体已被注销。',
  needKey: '请先打开您的密钥。', selftestBlocks: '本页的编码自检未通过，已停止签名。',
  signing: '正在本设备上签名…', submitting: '已签名，正在提交并等待出块…', recorded: '✓ 已记录在区块 #{height}。',
  stillPending: '已提交，尚未出块；出块后会自动显示。', refused: '✗ 节点拒绝了此操作：', refusedInBlock: '✗ 已写入区块 #{height}，但按规则被拒绝：',
  failed: '✗ 未能完成：{message}', missing: '请填写「{what}」。', loadFailed: '无法加载：{message}',
  blockNumber: '区块 #{height}', verifying: '正在验证…', verifiedHere: '✓ 已在本设备验证', notVerified: '✗ 未通过验证',
  proofSignature: '签名者的 Ed25519 签名有效。', proofIncluded: '包含证明把这条记录连到区块 #{height} 的默克尔根。',
  proofCertificate: '区块证书：{total} 位验证人中有 {signed} 位签名（超过半数）。', proofGenesis: '验证人来自本设备固定的创世文档 {fingerprint}…。',
  trustLine: '本页在本设备上检查每条记录的签名、包含证明和区块证书。创世文档指纹 {fingerprint} · 验证人：{validators}。',
  selftestOK: '编码自检通过（{checks} 项，与节点的测试向量一致）。', selftestFailed: '编码自检未通过：{failures}',
  insecureContext: '此页面不是经 HTTPS（或本机地址）打开的，浏览器不提供验证和签名所需的加密功能：可以阅读，但不能验证或操作。请运营者为客户端接口启用 HTTPS（api.tls_cert_file）。',
  'why.insecureContext': '不是 HTTPS 页面，无法在本设备验证。',
  'why.noTrust': '尚未取得创世文档。', 'why.genesisProblem': '创世文档与本设备固定的不一致，无法验证。', 'why.notServed': '节点没有提供这条记录的证明。',
  'why.badTransaction': '节点提供的交易无法解码。', 'why.otherTransaction': '节点提供的是另一笔交易。', 'why.otherCommunity': '交易属于另一个社区。',
  'why.badSignature': '交易签名无效。', 'why.otherBlock': '区块头与记录不符。', 'why.notIncluded': '包含证明不成立。',
  'why.certificateOtherBlock': '证书属于另一个区块。', 'why.certificateBadVote': '证书中有无效的投票。', 'why.certificateBadSignature': '证书中有验证人签名无效。',
  'why.certificateNoMajority': '签名的验证人未过半数。', 'why.contentMismatch': '页面显示的内容与已签名的交易不一致。',
  'why.genesisMismatch': '节点声称的创世哈希与它提供的创世文档不符。', 'why.genesisChanged': '警告：此节点的创世文档与本设备以前信任的不同，记录无法验证。',
  category: '类别', allCategories: '全部类别', 'category.partyAffairs': '党务公开', 'category.housingAffairs': '房屋事务', 'category.finance': '财务公开',
  'category.services': '服务信息', 'category.general': '综合', publishNotice: '发布公告', correctNotice: '更正公告', noticeTitle: '标题', noticeBody: '正文',
  signPublish: '签名并发布', signCorrection: '签名并发布更正', correcting: '更正「{title}」：原公告保留，新版本取代它。', correctThis: '更正此公告',
  corrected: '第 {version} 版（已更正）', correctionTrail: '更正记录（共 {count} 版）', version: '第 {version} 版', noNotices: '暂无公告。',
  openProposal: '发起议题', proposalTitle: '议题', proposalDescription: '说明', proposalOptions: '选项', oneOptionPerLine: '每行一个选项，2 至 16 个。',
  defaultOptions: '同意\n反对\n弃权', eligibleRoles: '有权投票的身份', closesAt: '截止时间', quorumPercent: '法定参与率（选民的百分比）',
  passPercent: '通过比例（有效票的百分比）', signOpen: '签名并发起', optionsCount: '需要 2 至 16 个选项。', closesInFuture: '截止时间须在将来。',
  open: '表决中', 'outcome.passed': '已通过', 'outcome.noQuorum': '未达法定参与率', 'outcome.belowThreshold': '未通过', 'outcome.tie': '票数相同，未通过',
  proposedBy: '发起人：{person}', endorsedBy: '{count} 位居民联署', electorate: '选民 {size} 人（{roles}）', quorum: '法定参与率 {share}',
  passShare: '通过需 {share}', closesTime: '{time} 截止', closesHeight: '区块 #{height} 截止', closedAt: '已于 {time} 截止',
  tally: '计票', votes: '{votes} 票（{share}%）', turnout: '已投 {cast} 票 / 选民 {electorate} 人；法定参与需 {needed} 票。',
  vote: '投票', yourBallot: '您的选择', signVote: '签名并投票', chooseOption: '请选择一个选项。',
  ballotHint: '有权投票：{roles}（以发起时的选民名单为准）。截止前再次投票会取代之前的选票。', noProposals: '暂无议题。',
  proposeDraft: '提出居民议题（需联署）', signDraft: '签名并提交草案', draftHelp: '居民提出的议题先作为草案记录；另有 {needed} 位居民用自己的密钥联署后，它在当时的区块中自动发起表决。',
  draftsTitle: '征集联署的草案', draftsHelp: '每份草案需要另外 {needed} 位居民联署才能发起表决。', proposalsTitle: '议题',
  draftChip: '草案', endorsedCount: '已联署 {count}/{needed}', optionsLine: '选项：{options}', endorsersLine: '联署人：{names}', endorse: '联署',
  signEndorse: '签名并联署', endorseHelp: '联署表示您支持将此议题交付表决，不代表您的投票。',
  newRequest: '提出服务请求', service: '服务类别', otherService: '其他…', otherServiceCode: '服务类别（自填）', requestDescription: '问题描述',
  requestLocation: '地点', noPersonalData: '只写楼栋或公共区域，不要写身份证号、电话等个人信息。', signRequest: '签名并提交',
  'status.open': '待处理', 'status.assigned': '已指派', 'status.acknowledged': '已受理', 'status.inProgress': '处理中', 'status.resolved': '已解决，待评价',
  'status.reopened': '已重新打开', 'status.closed': '已关闭', overdue: '超过响应时限', at: '地点：{location}', requestedBy: '提出人：{person}',
  deadline: '响应时限：{time}', assignedTo: '承办：{person}', unassigned: '尚未指派', timeline: '处理经过',
  'step.request': '提出请求', 'step.assignment': '指派给 {provider}', 'step.response': '回复：{status}', 'step.closed': '评价并关闭 {stars}', 'step.reopened': '重新打开',
  'responseText.acknowledged': '已受理', 'responseText.inProgress': '处理中', 'responseText.resolved(fixed)': '已解决（已修复）',
  'responseText.resolved(notResponsible)': '已解决（不属本单位负责）', 'responseText.resolved(duplicate)': '已解决（重复请求）',
  'responseText.resolved(referred)': '已解决（已转办）',
  'response.acknowledged': '已受理', 'response.inProgress': '处理中', 'response.resolvedFixed': '已修复', 'response.resolvedNotResponsible': '不属本单位负责',
  'response.resolvedDuplicate': '重复请求', 'response.resolvedReferred': '已转办',
  closeOrReopen: '评价并关闭，或重新打开', rating: '评分', stars: '{n} 星', comment: '意见', signClose: '签名并关闭', reopen: '签名并重新打开',
  chooseRating: '关闭请求需要 1 至 5 星的评分。', assign: '指派', reassign: '重新指派', provider: '服务单位', note: '备注', signAssign: '签名并指派',
  respond: '回复', responseStatus: '处理状态', signRespond: '签名并回复', noRequests: '暂无服务请求。',
  'service.elevator': '电梯', 'service.streetlight': '路灯', 'service.sanitation': '环境卫生', 'service.repair': '维修', 'service.water': '供水',
  'service.plumbing': '水管', 'service.security': '安全', 'service.greening': '绿化', 'service.parking': '停车', 'service.noise': '噪音',
  supervisionHelp: '各服务单位的数字由每个节点按区块时间计算，任何人都可复核。', supervisionCaption: '服务单位监督表', assignments: '受理数',
  firstResponse: '平均首次响应', timeToResolve: '平均解决用时', resolutionRate: '解决率', breaches: '超时次数', averageRating: '平均评分',
  noProviders: '暂无指派记录。',
  pointsHelp: '社会组织为居民记录志愿服务时长，每小时 {perHour} 分；积分可以兑换社会组织和物业提供的奖励。', pointsCaption: '志愿积分',
  volunteer: '志愿者', hours: '小时', records: '记录数', points: '获得积分', spent: '已兑换', balance: '余额', noPoints: '暂无志愿记录。',
  supplyTitle: '积分总账', issued: '已发放', redeemedPoints: '已兑换', outstanding: '流通中',
  supplyAddsUp: '✓ 账目相符：各人余额合计 {balances} 分（{holders} 人持有）= 已发放 − 已兑换。',
  supplyBroken: '✗ 账目不符：余额合计 {balances}（本页列出的合计 {listed}）不等于已发放 − 已兑换。',
  yourPoints: '您的积分：获得 {earned}，已兑换 {spent}，余额 {balance}。',
  rewardsTitle: '可兑换的奖励', noRewards: '暂无奖励。', offerReward: '发布奖励', rewardTitle: '奖励名称', rewardDescription: '说明',
  rewardPrice: '所需积分', rewardQuantity: '数量', signOffer: '签名并发布', pricePoints: '{price} 积分', remaining: '剩余 {remaining}/{quantity}',
  offeredBy: '提供方：{person}', redeem: '兑换', signRedeem: '签名并兑换', redeemHelp: '兑换一份需 {price} 积分；您现有 {balance} 积分。',
  redemptionsTitle: '兑换记录', redemptionLine: '{redeemer} 用 {points} 积分兑换了「{title}」（{publisher}）',
  noBlocks: '尚无区块。', transactionsCount: '{count} 笔交易', rejectedCount: '{count} 笔被拒', rejectedBecause: '（被拒：{reason}）',
  'kind.registration': '登记', 'kind.notice': '公告', 'kind.proposal': '议题', 'kind.ballot': '选票', 'kind.serviceRequest': '服务请求',
  'kind.assignment': '指派', 'kind.serviceResponse': '服务回复', 'kind.closure': '评价关闭', 'kind.volunteerRecord': '志愿记录',
  'kind.checkpoint': '检查点', 'kind.referral': '转介', 'kind.proposalDraft': '议题草案', 'kind.endorsement': '联署',
  'kind.rewardOffer': '奖励', 'kind.redemption': '积分兑换', 'kind.federationAdoption': '采纳联盟文件',
  'kind.referralRelay': '转介记录', 'kind.referralAnswer': '转介答复', unregistered: '（未登记主体）',
  'role.resident': '居民', 'role.residentsCommittee': '居委会', 'role.partyBranch': '党支部', 'role.ownersCommittee': '业委会',
  'role.propertyManager': '物业', 'role.socialOrganization': '社会组织', 'role.serviceProvider': '服务单位', 'role.streetOffice': '街道办',
};

const en = {
  title: 'Community board · Civitas', board: 'Community board', boardOf: '{community} community board', skip: 'Skip to content', loading: 'Loading…',
  sections: 'Sections', switchLanguage: 'Switch language 切换语言', listSeparator: ', ',
  tabNotices: 'Notices', tabProposals: 'Proposals', tabRequests: 'Service requests', tabProviders: 'Supervision', tabPoints: 'Points and rewards', tabBlocks: 'Blocks',
  live: '● Live', reconnecting: '○ Reconnecting…', headAt: 'Latest block #{height} ({time})',
  openKey: 'Open key', closeKey: 'Close key', signedInAs: 'Acting as',
  keyTitle: 'Open your key', keyHelp: 'Your key is used in this browser only; it is never sent to a node.', keyFileLegend: 'Key file', keyFile: 'Key file (.pem)',
  keyPaste: 'Or paste the key', keyRemember: 'Keep a passphrase-protected copy in this browser', keyPassphrase: 'Passphrase (at least 8 characters)', keyOpen: 'Open key',
  cancel: 'Cancel', savedKeys: 'Keys kept in this browser', passphraseFor: 'Passphrase for {name}', unlock: 'Unlock', unlocking: 'Unlocking…', forget: 'Forget',
  opening: 'Opening…', wrongPassphrase: 'Wrong passphrase.', passphraseShort: 'Keeping a copy needs a passphrase of at least 8 characters.',
  keyUnknown: 'This key is not a registered subject of {community}.', keyRevoked: 'This subject has been revoked.',
  needKey: 'Open your key first.', selftestBlocks: "This page's codec self-test failed; signing is off.",
  signing: 'Signing on this device…', submitting: 'Signed; submitting and waiting for a block…', recorded: '✓ Recorded in block #{height}.',
  stillPending: 'Submitted, not yet in a block; it will appear when it is.', refused: '✗ The node refused this:', refusedInBlock: '✗ In block #{height}, but refused by the rules:',
  failed: '✗ Could not finish: {message}', missing: 'Please fill in “{what}”.', loadFailed: 'Cannot load: {message}',
  blockNumber: 'Block #{height}', verifying: 'verifying…', verifiedHere: '✓ verified on this device', notVerified: '✗ not verified',
  proofSignature: "The signer's Ed25519 signature is valid.", proofIncluded: "The inclusion proof leads from this record to block #{height}'s Merkle root.",
  proofCertificate: 'Block certificate: {signed} of {total} validators signed (a majority).', proofGenesis: 'Validators from the genesis document pinned on this device, {fingerprint}….',
  trustLine: "This page checks each record's signature, inclusion proof and block certificate on this device. Genesis fingerprint {fingerprint} · validators: {validators}.",
  selftestOK: "Codec self-test passed ({checks} checks against the node's test vectors).", selftestFailed: 'Codec self-test failed: {failures}',
  insecureContext: "This page was not opened over HTTPS (or from this computer), so the browser withholds the cryptography it needs: you can read, but not verify or act. Ask the operator to serve the client API over HTTPS (api.tls_cert_file).",
  'why.insecureContext': 'Not an HTTPS page: cannot verify on this device.',
  'why.noTrust': 'No genesis document yet.', 'why.genesisProblem': "The genesis document differs from the one this device pinned; nothing can be verified.",
  'why.notServed': 'The node served no proof for this record.', 'why.badTransaction': 'The transaction the node served does not decode.',
  'why.otherTransaction': 'The node served another transaction.', 'why.otherCommunity': 'The transaction belongs to another community.',
  'why.badSignature': "The transaction's signature is invalid.", 'why.otherBlock': 'The block header does not match the record.',
  'why.notIncluded': 'The inclusion proof does not hold.', 'why.certificateOtherBlock': 'The certificate is for another block.',
  'why.certificateBadVote': 'The certificate holds an invalid vote.', 'why.certificateBadSignature': "A validator's signature in the certificate is invalid.",
  'why.certificateNoMajority': 'Fewer than a majority of validators signed.', 'why.contentMismatch': 'What the page shows differs from the signed transaction.',
  'why.genesisMismatch': "The node's genesis hash does not match the genesis document it serves.",
  'why.genesisChanged': 'Warning: this node serves a different genesis document than the one this device trusted before; records cannot be verified.',
  category: 'Category', allCategories: 'All categories', 'category.partyAffairs': 'Party affairs', 'category.housingAffairs': 'Housing affairs',
  'category.finance': 'Finance', 'category.services': 'Services', 'category.general': 'General', publishNotice: 'Publish a notice',
  correctNotice: 'Correct a notice', noticeTitle: 'Title', noticeBody: 'Text', signPublish: 'Sign and publish', signCorrection: 'Sign and publish the correction',
  correcting: 'Correcting “{title}”: the original stays, the new version supersedes it.', correctThis: 'Correct this notice',
  corrected: 'version {version} (corrected)', correctionTrail: 'Correction trail ({count} versions)', version: 'Version {version}', noNotices: 'No notices yet.',
  openProposal: 'Open a proposal', proposalTitle: 'Question', proposalDescription: 'Explanation', proposalOptions: 'Options',
  oneOptionPerLine: 'One option per line, 2 to 16.', defaultOptions: 'Yes\nNo\nAbstain', eligibleRoles: 'Who may vote', closesAt: 'Closes at',
  quorumPercent: 'Quorum (percent of the electorate)', passPercent: 'Pass threshold (percent of ballots)', signOpen: 'Sign and open',
  optionsCount: 'A proposal needs 2 to 16 options.', closesInFuture: 'The closing time must be in the future.',
  open: 'Open', 'outcome.passed': 'Passed', 'outcome.noQuorum': 'No quorum', 'outcome.belowThreshold': 'Not passed', 'outcome.tie': 'Tie, not passed',
  proposedBy: 'Proposed by {person}', endorsedBy: 'endorsed by {count} residents', 'endorsedBy.one': 'endorsed by 1 resident', electorate: 'Electorate {size} ({roles})', quorum: 'quorum {share}',
  passShare: 'passes with {share}', closesTime: 'closes {time}', closesHeight: 'closes at block #{height}', closedAt: 'closed {time}',
  tally: 'Tally', votes: '{votes} votes ({share}%)', 'votes.one': '1 vote ({share}%)',
  turnout: '{cast} ballots of an electorate of {electorate}; quorum needs {needed}.',
  'turnout.one': '1 ballot of an electorate of {electorate}; quorum needs {needed}.',
  vote: 'Vote', yourBallot: 'Your choice', signVote: 'Sign and vote', chooseOption: 'Choose an option.',
  ballotHint: 'Eligible: {roles} (the electorate as fixed at opening). A later ballot replaces an earlier one until the proposal closes.',
  noProposals: 'No proposals yet.',
  proposeDraft: "Propose as a resident (needs endorsements)", signDraft: 'Sign and submit the draft',
  draftHelp: "A resident's proposal is recorded as a draft; once {needed} other residents have endorsed it with their own keys, it opens for a vote in that block.",
  draftsTitle: 'Drafts gathering endorsements', draftsHelp: 'Each draft needs {needed} other residents to endorse it before it opens for a vote.',
  proposalsTitle: 'Proposals', draftChip: 'Draft', endorsedCount: '{count} of {needed} endorsements', optionsLine: 'Options: {options}',
  endorsersLine: 'Endorsed by {names}',
  endorse: 'Endorse', signEndorse: 'Sign and endorse', endorseHelp: 'Endorsing says it should go to a vote; it is not your ballot.',
  newRequest: 'Make a service request', service: 'Service', otherService: 'Other…', otherServiceCode: 'Service (your words)', requestDescription: 'What is wrong',
  requestLocation: 'Where', noPersonalData: 'A building or public area only: no ID or phone numbers.', signRequest: 'Sign and submit',
  'status.open': 'Open', 'status.assigned': 'Assigned', 'status.acknowledged': 'Acknowledged', 'status.inProgress': 'In progress',
  'status.resolved': 'Resolved, awaiting rating', 'status.reopened': 'Reopened', 'status.closed': 'Closed', overdue: 'Response overdue',
  at: 'At {location}', requestedBy: 'Requested by {person}', deadline: 'Response due {time}', assignedTo: 'Assigned to {person}', unassigned: 'Not assigned yet',
  timeline: 'Timeline', 'step.request': 'Requested', 'step.assignment': 'Assigned to {provider}', 'step.response': 'Response: {status}',
  'step.closed': 'Rated and closed {stars}', 'step.reopened': 'Reopened',
  'responseText.acknowledged': 'acknowledged', 'responseText.inProgress': 'in progress', 'responseText.resolved(fixed)': 'resolved (fixed)',
  'responseText.resolved(notResponsible)': 'resolved (not responsible)', 'responseText.resolved(duplicate)': 'resolved (duplicate)',
  'responseText.resolved(referred)': 'resolved (referred)',
  'response.acknowledged': 'Acknowledged', 'response.inProgress': 'In progress', 'response.resolvedFixed': 'Fixed',
  'response.resolvedNotResponsible': 'Not our responsibility', 'response.resolvedDuplicate': 'Duplicate', 'response.resolvedReferred': 'Referred elsewhere',
  closeOrReopen: 'Rate and close, or reopen', rating: 'Rating', stars: '{n} stars', comment: 'Comment', signClose: 'Sign and close', reopen: 'Sign and reopen',
  chooseRating: 'Closing needs a rating of 1 to 5 stars.', assign: 'Assign', reassign: 'Reassign', provider: 'Provider', note: 'Note',
  signAssign: 'Sign and assign', respond: 'Respond', responseStatus: 'Status', signRespond: 'Sign and respond', noRequests: 'No service requests yet.',
  'service.elevator': 'Elevator', 'service.streetlight': 'Street light', 'service.sanitation': 'Sanitation', 'service.repair': 'Repair',
  'service.water': 'Water supply', 'service.plumbing': 'Plumbing', 'service.security': 'Security', 'service.greening': 'Greenery',
  'service.parking': 'Parking', 'service.noise': 'Noise',
  supervisionHelp: "Every node computes these figures from block time; anyone can recompute them.", supervisionCaption: "Providers' supervision",
  assignments: 'Assignments', firstResponse: 'Mean time to first response', timeToResolve: 'Mean time to resolve', resolutionRate: 'Resolution rate',
  breaches: 'Deadline breaches', averageRating: 'Average rating', noProviders: 'No assignments yet.',
  pointsHelp: "Social organisations record residents' volunteer hours: {perHour} points an hour, to spend on the rewards social organisations and the property manager offer.",
  pointsCaption: 'Volunteer points', volunteer: 'Volunteer', hours: 'Hours', records: 'Records', points: 'Earned', spent: 'Spent', balance: 'Balance',
  noPoints: 'No volunteer records yet.', supplyTitle: 'The points supply', issued: 'Issued', redeemedPoints: 'Redeemed', outstanding: 'Outstanding',
  supplyAddsUp: '✓ It adds up: the balances sum to {balances} points ({holders} holders) = issued − redeemed.',
  supplyBroken: '✗ It does not add up: the balances sum to {balances} (the ones listed here to {listed}), not issued − redeemed.',
  yourPoints: 'Your points: earned {earned}, spent {spent}, balance {balance}.',
  rewardsTitle: 'Rewards', noRewards: 'No rewards on offer yet.', offerReward: 'Offer a reward', rewardTitle: 'Reward', rewardDescription: 'Details',
  rewardPrice: 'Price in points', rewardQuantity: 'How many', signOffer: 'Sign and offer', pricePoints: '{price} points',
  remaining: '{remaining} of {quantity} left', offeredBy: 'Offered by {person}', redeem: 'Redeem', signRedeem: 'Sign and redeem',
  redeemHelp: 'One costs {price} points; you hold {balance}.', redemptionsTitle: 'Redemptions',
  redemptionLine: '{redeemer} spent {points} points on “{title}” ({publisher})',
  noBlocks: 'No blocks yet.', transactionsCount: '{count} transactions', 'transactionsCount.one': '1 transaction', rejectedCount: '{count} refused', rejectedBecause: '(refused: {reason})',
  'kind.registration': 'Registration', 'kind.notice': 'Notice', 'kind.proposal': 'Proposal', 'kind.ballot': 'Ballot', 'kind.serviceRequest': 'Service request',
  'kind.assignment': 'Assignment', 'kind.serviceResponse': 'Service response', 'kind.closure': 'Closure', 'kind.volunteerRecord': 'Volunteer record',
  'kind.checkpoint': 'Checkpoint', 'kind.referral': 'Referral', 'kind.proposalDraft': 'Draft proposal', 'kind.endorsement': 'Endorsement',
  'kind.rewardOffer': 'Reward offer', 'kind.redemption': 'Redemption', 'kind.federationAdoption': 'Federation adoption',
  'kind.referralRelay': 'Referral record', 'kind.referralAnswer': 'Referral answer',
  unregistered: '(unregistered subject)',
  'role.resident': 'resident', 'role.residentsCommittee': "residents' committee", 'role.partyBranch': 'party branch', 'role.ownersCommittee': "owners' committee",
  'role.propertyManager': 'property manager', 'role.socialOrganization': 'social organisation', 'role.serviceProvider': 'service provider',
  'role.streetOffice': 'street office',
};

export const DICTIONARIES = { zh, en };
let current = 'zh';

export function setLanguage(lang) { current = DICTIONARIES[lang] ? lang : 'zh'; }
export function language() { return current; }

/**
 * The text for `key` in the current language with `{name}` placeholders filled;
 * the key itself if unknown. A count of one (`count`, `votes` or `cast`) takes
 * the `key.one` form where the language has one.
 */
export function T(key, params = {}) {
  const dictionary = DICTIONARIES[current];
  const n = params.count ?? params.votes ?? params.cast;
  const text = (n === 1 ? dictionary[key + '.one'] : undefined) ?? dictionary[key] ?? DICTIONARIES.zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (all, name) => (params[name] === undefined ? all : String(params[name])));
}

export function roleName(role) { return T('role.' + role); }

export function formatTime(ms) {
  if (ms === null || ms === undefined) return '—';
  return new Intl.DateTimeFormat(current === 'zh' ? 'zh-CN' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(ms));
}

export function formatDuration(ms) {
  const minutes = Math.round(ms / 60000);
  const d = Math.floor(minutes / 1440), hh = Math.floor((minutes % 1440) / 60), mm = minutes % 60;
  const parts = current === 'zh'
    ? [d ? `${d} 天` : '', hh ? `${hh} 小时` : '', mm || (!d && !hh) ? `${mm} 分钟` : '']
    : [d ? `${d} d` : '', hh ? `${hh} h` : '', mm || (!d && !hh) ? `${mm} min` : ''];
  return parts.filter(Boolean).join(' ');
}

/** "Name (unit)" in the current language; never a key or an ID. */
export function personText(person) {
  if (!person || !person.name) return T('unregistered');
  if (!person.unit) return person.name;
  return current === 'zh' ? `${person.name}（${person.unit}）` : `${person.name} (${person.unit})`;
}
"""#
}
