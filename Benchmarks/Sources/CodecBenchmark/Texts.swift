import CivitasCodec
/// Text for the benchmark block: the kind of content a residents' committee,
/// property manager and service providers actually post, in Chinese, English
/// or both, with the numbers (buildings, dates, amounts, times) varied per use.
enum Texts {
    static func building(_ r: inout SplitMix64) -> Int { r.int(1...28) }
    static func unitNo(_ r: inout SplitMix64) -> String { "\(r.int(1...4))单元\(r.int(1...18))\(String(format2: r.int(1...4)))" }
    static func date(_ r: inout SplitMix64) -> String { "\(r.int(1...12))月\(r.int(1...28))日" }
    static func hour(_ r: inout SplitMix64) -> String { "\(r.int(7...20)):\(r.pick(["00", "30"]))" }
    static func amount(_ r: inout SplitMix64) -> String { "\(r.int(120...98_000)).\(String(format2: r.int(0...99)))" }

    // MARK: notices

    static let noticeTitlesZH: [@Sendable (inout SplitMix64) -> String] = [
        { r in "关于\(building(&r))号楼电梯年度检修的通知" },
        { r in "\(r.int(2023...2025))年第\(r.int(1...4))季度公共维修资金使用情况公示" },
        { r in "关于开展\(date(&r))垃圾分类宣传活动的通知" },
        { r in "小区\(r.pick(["东门", "西门", "南门", "北门"]))道路施工临时封闭公告" },
        { r in "关于召开第\(r.int(1...9))届业主大会的公告" },
        { r in "党支部\(date(&r))主题党日活动安排" },
        { r in "\(building(&r))号楼二次供水水箱清洗停水通知" },
        { r in "社区卫生服务站\(date(&r))义诊活动通知" },
        { r in "关于电动自行车集中充电棚启用的通知" },
        { r in "物业服务费\(r.int(2023...2025))年度收支情况公示" },
    ]

    static let noticeTitlesEN: [@Sendable (inout SplitMix64) -> String] = [
        { r in "Elevator maintenance, Bldg \(building(&r))" },
        { r in "Q\(r.int(1...4)) \(r.int(2023...2025)) maintenance fund statement" },
        { r in "Water supply interruption on \(r.int(1...28)) \(r.pick(["March", "April", "May", "June", "September", "October"]))" },
        { r in "Owners' general meeting #\(r.int(1...9)): agenda and proxy forms" },
        { r in "Free health check-ups at the community clinic" },
        { r in "New e-bike charging shed opens next to Bldg \(building(&r))" },
    ]

    static let sentencesZH: [@Sendable (inout SplitMix64) -> String] = [
        { r in "根据《特种设备安全法》及电梯维保合同约定，\(building(&r))号楼\(r.int(1...2))号电梯将于\(date(&r))\(hour(&r))至\(hour(&r))进行年度检验，届时电梯暂停使用。" },
        { r in "请高层住户提前安排出行，行动不便的老年居民如需帮助，请拨打物业服务中心电话\(r.int(5_000_000...6_999_999))。" },
        { r in "本季度公共维修资金支出共计人民币\(amount(&r))元，主要用于屋面防水修缮、消防设施更换和监控系统升级。" },
        { r in "相关合同、发票及验收单据已上传至链上附件，业主可凭身份在居委会办公室查阅原件。" },
        { r in "施工期间\(r.pick(["东门", "西门", "南门"]))仅限行人通行，机动车请绕行\(r.pick(["北门", "南门"]))，给您带来的不便敬请谅解。" },
        { r in "因市政管网改造，\(date(&r))\(hour(&r))起小区将暂停供水约\(r.int(2...8))小时，请居民提前做好储水准备。" },
        { r in "垃圾分类投放时间为每日7:00-9:00和18:00-20:00，请将湿垃圾破袋投放，可回收物请投放至\(building(&r))号楼旁的回收站。" },
        { r in "本次业主大会采用书面征求意见与线上投票相结合的方式，投票结果将在截止后三个工作日内公示。" },
        { r in "为消除火灾隐患，严禁电动自行车进楼入户及私拉电线充电，违者将由物业劝导并上报街道办事处。" },
        { r in "社区卫生服务站将于\(date(&r))上午在小区广场提供血压、血糖免费检测，65岁以上老人可同时预约家庭医生签约服务。" },
        { r in "党支部全体党员请于\(date(&r))\(hour(&r))准时到社区党群服务中心参加学习，并带好笔记本。" },
        { r in "如对本公示内容有异议，请于公示之日起\(r.int(5...15))日内以书面形式向居委会提出。" },
        { r in "感谢\(r.int(12...80))位志愿者在上周的楼道清理行动中付出的辛勤劳动。" },
        { r in "充电棚共设\(r.int(20...120))个充电位，按每度电\(r.int(1...2)).\(r.int(0...9))元计费，支持扫码支付。" },
    ]

    static let sentencesEN: [@Sendable (inout SplitMix64) -> String] = [
        { r in "Lift \(r.int(1...2)) in Building \(building(&r)) will be out of service from \(hour(&r)) to \(hour(&r)) for its annual safety inspection." },
        { r in "Residents who need help with stairs during the works can call the property office on \(r.int(5_000_000...6_999_999))." },
        { r in "This quarter the maintenance fund spent CNY \(amount(&r)), mainly on roof waterproofing, fire extinguishers and CCTV upgrades." },
        { r in "Contracts, invoices and acceptance forms are attached by hash; the originals can be inspected at the committee office." },
        { r in "Please note that the \(r.pick(["east", "west", "south"])) gate is pedestrian-only until \(r.int(1...28)) \(r.pick(["May", "June", "July"]))." },
        { r in "Objections to this notice may be filed in writing within \(r.int(5...15)) days of publication." },
        { r in "Thanks to the \(r.int(12...80)) volunteers who helped clear the stairwells last weekend." },
        { r in "Sorting times for household waste are 7:00-9:00 and 18:00-20:00 daily." },
    ]

    static func noticeTitle(_ r: inout SplitMix64, english: Bool) -> String {
        english ? r.pick(noticeTitlesEN)(&r) : r.pick(noticeTitlesZH)(&r)
    }

    /// 3 to 8 sentences: mostly Chinese, often with an English summary, some English only.
    static func noticeBody(_ r: inout SplitMix64, english: Bool) -> String {
        let n = r.int(3...8)
        var parts: [String] = []
        if english {
            for _ in 0..<n { parts.append(r.pick(sentencesEN)(&r)) }
            return parts.joined(separator: " ")
        }
        for _ in 0..<n { parts.append(r.pick(sentencesZH)(&r)) }
        var body = parts.joined()
        if r.chance(40) {
            body += "\n\n"
            body += (0..<r.int(1...3)).map { _ in r.pick(sentencesEN)(&r) }.joined(separator: " ")
        }
        return body
    }

    // MARK: people and places

    static let surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "朱", "马", "胡", "郭"]
    static let givenNames = ["秀英", "桂英", "建国", "志强", "丽娟", "伟", "芳", "敏", "静", "磊", "洋", "婷", "海燕", "晓明"]
    static let pinyin = ["Wang Xiuying", "Li Wei", "Zhang Min", "Liu Yang", "Chen Jing", "Zhou Lei", "Anna Schmidt", "Tom Baker"]

    static func displayName(_ r: inout SplitMix64) -> String {
        r.chance(80) ? r.pick(surnames) + r.pick(givenNames) : r.pick(pinyin)
    }

    static func unit(_ r: inout SplitMix64) -> String {
        r.chance(75) ? "\(building(&r))栋\(unitNo(&r))" : "Bldg \(building(&r))-\(r.int(1...18))0\(r.int(1...4))"
    }

    // MARK: service records (Open311-style)

    static let serviceCodes = ["streetlight", "elevator", "sanitation", "water-leak", "noise", "parking", "greening", "security-door", "pest-control"]

    static let requestTexts: [@Sendable (inout SplitMix64) -> String] = [
        { r in "\(building(&r))号楼\(r.int(1...4))单元楼道灯不亮已经\(r.int(2...10))天了，晚上老人上下楼很不安全。" },
        { r in "电梯运行时有异响，\(r.int(2...9))楼停靠时门关不严，请尽快安排检修。" },
        { r in "地下车库\(r.pick(["B1", "B2"]))层\(r.int(1...300))号车位附近有积水，疑似水管渗漏。" },
        { r in "The security door of Building \(building(&r)) does not lock; delivery riders leave it open all day." },
        { r in "楼上住户每晚23点后仍有装修噪音，已沟通无果，请物业协调。" },
        { r in "\(building(&r))号楼北侧绿化带杂草丛生，蚊虫很多，希望修剪并消杀。" },
        { r in "Overflowing recycling bins next to Building \(building(&r)); collection seems to have been missed twice this week." },
    ]

    static let locations: [@Sendable (inout SplitMix64) -> String] = [
        { r in "\(building(&r))号楼\(r.int(1...4))单元" },
        { r in "地下车库\(r.pick(["B1", "B2"]))层" },
        { r in "Bldg \(building(&r)) lobby" },
        { _ in "中心花园" },
        { r in "\(r.pick(["东门", "西门", "南门", "北门"]))岗亭" },
    ]

    static let assignmentNotes: [@Sendable (inout SplitMix64) -> String] = [
        { r in "请于\(r.int(24...72))小时内上门处理，并上传维修前后照片。" },
        { _ in "已联系供应商，备件到货后安排更换。" },
        { _ in "Please coordinate with the resident before entering the unit." },
        { _ in "属于公共部位维修，费用从公共维修资金列支。" },
    ]

    static let responseNotes: [@Sendable (inout SplitMix64) -> String] = [
        { r in "维修人员已于\(hour(&r))到场，更换了\(r.int(1...6))个LED灯具，现已恢复照明。" },
        { _ in "已受理，配件预计三个工作日内到货。" },
        { _ in "Door closer replaced and lock re-aligned; tested with the resident present." },
        { _ in "经查该问题属于市政管网，已转交自来水公司处理。" },
        { _ in "与已有工单重复，合并处理。" },
        { r in "Technician on site at \(hour(&r)); leak traced to a corroded valve, replaced." },
    ]

    static let closureComments: [@Sendable (inout SplitMix64) -> String] = [
        { _ in "处理及时，师傅态度很好，谢谢！" },
        { _ in "灯修好了，但楼道另一盏还是不亮。" },
        { _ in "Fixed within a day, thank you." },
        { _ in "问题依旧存在，申请重新处理。" },
        { _ in "" },
    ]

    static let activities = ["探访独居老人", "健康讲座签到引导", "垃圾分类督导", "elder visits", "儿童课后辅导", "文明交通劝导", "防汛值守", "library shelving"]

    static let referralSummaries: [@Sendable (inout SplitMix64) -> String] = [
        { r in "本社区有\(r.int(2...12))名独居老人需要助餐服务，请贵社区长者食堂协助提供送餐。" },
        { r in "可提供\(r.int(2...6))名具有急救证书的志愿者支援贵社区周末义诊活动。" },
        { _ in "Request: sign-language interpreter for the residents' meeting on Saturday." },
        { _ in "居民反映跨社区道路照明问题，涉及两社区交界处，请协同处理。" },
    ]

    // MARK: proposals

    static let proposalTitles = [
        "增设电动自行车充电棚选址表决",
        "使用公共维修资金更换3号楼电梯",
        "Replace the playground surface with rubber tiles",
        "调整物业服务费标准的议案",
        "在中心花园增设健身器材",
    ]

    static let optionSets: [[String]] = [
        ["同意", "反对", "弃权"],
        ["东侧空地", "北门停车场", "暂不建设"],
        ["Yes", "No"],
        ["方案A：每月每平方米1.8元", "方案B：每月每平方米2.1元", "维持现状"],
    ]
}

extension String {
    /// Two digits with a leading zero.
    init(format2 value: Int) { self = value < 10 ? "0\(value)" : "\(value)" }
}
