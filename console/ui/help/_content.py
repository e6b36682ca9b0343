"""The user manual's chapters (用户手册), in English and Chinese: every screen and workflow of the console.

Plain data (HTML fragments), so the manual can be checked without Qt: :data:`CHAPTERS` lists ``Chapter`` rows; the
shortcut list and About are built live from the window (see :mod:`console.ui.help._manual`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CHAPTERS", "Chapter"]


@dataclass(frozen=True)
class Chapter:
    key: str
    title_en: str
    title_zh: str
    en: str
    zh: str
    screens: tuple[str, ...] = ()  # the docks / dialogs the chapter explains (object names), for the coverage test


CHAPTERS: tuple[Chapter, ...] = (
    Chapter(
        "start", "Getting started", "快速入门",
        """<p>GasOps Console shows a city gas network on a map and runs the control room's work on it: shut-off
        analysis, hydraulic simulation, live telemetry and alarms, emergency dispatch, the hazard register and its
        tamper-evident ledger, editing with review, and metering evidence.</p>
        <p><b>Open a network</b> with File › Open (Ctrl+O): GeoPackage, GeoJSON, Shapefile, GasLib (.net) or EPANET
        (.inp); File › Open from PostGIS (Ctrl+Shift+O) reads a database schema; File › Open demo district shows the
        bundled example. Loading runs in the background: the map stays usable and the status bar shows progress.
        File › Save (Ctrl+S) writes back to the file or schema the network came from.</p>
        <p>The window is the <b>map</b> in the middle, a column of <b>docks</b> beside it (tabbed groups; drag a tab
        to move a dock, double-click its title to float it), the <b>toolbar</b> with the search box, and the
        <b>status bar</b> (coordinates, scale, CRS, feature counts, live feed state).</p>""",
        """<p>GasOps Console 在地图上显示城市燃气管网,并在其上完成调度室的日常工作:关阀分析、水力计算、实时监测与报警、
        应急调度、隐患登记及防篡改存证账本、带审核的编辑入库以及计量存证。</p>
        <p><b>打开管网</b>:文件 › 打开(Ctrl+O),支持 GeoPackage、GeoJSON、Shapefile、GasLib(.net)、EPANET(.inp);
        文件 › 从 PostGIS 打开(Ctrl+Shift+O)读取数据库模式;文件 › 打开示范片区显示内置示例。加载在后台进行,地图仍可操作,
        状态栏显示进度。文件 › 保存(Ctrl+S)写回原文件或数据库。</p>
        <p>窗口中间是<b>地图</b>,旁边一列<b>停靠面板</b>(分组标签页;拖动标签可移动,双击标题可浮动),上方是带搜索框的
        <b>工具栏</b>,底部是<b>状态栏</b>(坐标、比例尺、坐标系、要素数量、实时数据状态)。</p>""",
    ),
    Chapter(
        "layouts", "Role layouts", "岗位布局",
        """<p>Three arrangements of the docks, one per role — choose in the toolbar's role box, View › Role layout,
        or with <b>Ctrl+Alt+1</b> (Dispatcher 调度), <b>Ctrl+Alt+2</b> (Planner 规划), <b>Ctrl+Alt+3</b> (Commander
        应急); <b>Ctrl+Alt+0</b> goes to the next role.</p>
        <ul><li><b>Dispatcher</b>: alarms and hazards above; identify, trends, incidents board and isolation below.</li>
        <li><b>Planner</b>: simulation, layers and isolation above; identify, violations and trends below (left side).</li>
        <li><b>Commander</b>: incident, isolation and alarms above; incidents board, hazards, identify, trends and
        ledger below.</li></ul>
        <p>Docks a role does not need are hidden; View › (dock name) brings any of them back. Your changes (moved,
        resized, shown or hidden docks) are kept for each role and restored when you return to it; View › Reset role
        layout goes back to the default. Every layout leaves the map at least 60 % of a 1440×900 window.</p>""",
        """<p>按岗位提供三种面板布局,可在工具栏岗位框、视图 › 岗位布局中选择,或按 <b>Ctrl+Alt+1</b>(调度)、
        <b>Ctrl+Alt+2</b>(规划)、<b>Ctrl+Alt+3</b>(应急);<b>Ctrl+Alt+0</b> 切换到下一个岗位。</p>
        <ul><li><b>调度</b>:上方报警和隐患;下方属性、趋势、事件看板和关阀分析。</li>
        <li><b>规划</b>:上方水力计算、图层和关阀分析;下方属性、校核和趋势(左侧)。</li>
        <li><b>应急</b>:上方事件处置、关阀分析和报警;下方事件看板、隐患、属性、趋势和存证账本。</li></ul>
        <p>岗位不需要的面板被隐藏,可从视图菜单重新打开。对布局的修改(移动、调整大小、显示或隐藏)按岗位保存,返回该岗位时恢复;
        视图 › 重置岗位布局恢复默认。每种布局在 1440×900 窗口中地图至少占 60%。</p>""",
    ),
    Chapter(
        "map", "Map, search and identify", "地图、搜索与属性查询",
        """<p><b>Navigate</b>: drag to pan (P), wheel to zoom about the cursor, Z for a zoom box, + / − to zoom,
        Home for the whole network. The north arrow and scale bar follow the view.</p>
        <p><b>Search</b> (Ctrl+F): type any part of a feature id, a customer's name, a meter id, an address
        (人民路12号 or "Renmin Rd 12") or a street; suggestions appear as you type, case does not matter. Enter zooms
        to the feature and identifies it; a street zooms to its whole length.</p>
        <p><b>Identify</b> (I, or click with the identify tool): the Feature dock lists the attributes, the address,
        and for sensors or devices with sensors the <b>live value</b>, unit, quality and age. Where several features
        sit at one point, "Also here" lists them — pick the one you mean; hovering shows the same feature first.
        Esc clears the selection.</p>
        <p><b>Layers</b> dock: show or hide each layer and colour pipes by pressure class, diameter or material.
        <b>Basemap</b> (View › Basemap): streets with their names and blocks under the network; View › Raster
        basemap… adds tiles from an MBTiles file (offline) or an XYZ/WMTS tile URL, fetched in the background.</p>""",
        """<p><b>浏览</b>:拖动平移(P),滚轮以光标为中心缩放,Z 框选放大,+ / − 缩放,Home 显示全图。指北针和比例尺随视图变化。</p>
        <p><b>搜索</b>(Ctrl+F):输入要素编号、用户名称、表号、地址(如“人民路12号”或 “Renmin Rd 12”)或街道的任意部分,
        输入时即给出建议,不区分大小写。回车定位并查询该要素;选择街道则缩放到整条街道。</p>
        <p><b>属性查询</b>(I,或用查询工具点击):属性面板列出属性、地址;对传感器或带传感器的设备显示<b>实时值</b>、单位、
        质量和时效。同一位置有多个要素时,“此处还有”列出全部,可选择所需要素;悬停提示与之一致。Esc 清除选择。</p>
        <p><b>图层</b>面板:显示或隐藏各图层,按压力级制、管径或材质着色。<b>底图</b>(视图 › 底图):管网下方显示带名称的街道和街区;
        视图 › 栅格底图… 可叠加 MBTiles 文件(离线)或 XYZ/WMTS 瓦片服务的栅格底图,在后台加载。</p>""",
        ("attributesDock", "layersDock"),
    ),
    Chapter(
        "isolation", "Shut-off analysis", "关阀分析",
        """<p>Isolate here (<b>Ctrl+I</b>), then click the pipe or node where gas escapes — or right-click a pipe ›
        Isolate here. <b>Shift+click</b> adds another break to the same incident. The Isolation dock lists the
        valves to close in order (numbered discs on the map, ids beside them where they do not collide), the
        customers who lose gas (special users first), the gas volume to vent and notes.</p>
        <p>Buttons: <i>This valve failed</i> plans again with the next ring of valves; <i>Zoom to outage</i>;
        <i>Clear</i>; <i>Valves CSV…</i> and <i>Customers CSV…</i> export the plan and the customers for the
        crews. The closing order rule
        (upstream first / nearest first) and the dimming of the rest of the map are at the bottom of the dock.</p>""",
        """<p>关阀分析(<b>Ctrl+I</b>)后点击泄漏的管段或节点,或右键管段 › 在此关阀分析。<b>Shift+点击</b>为同一事件增加漏点。
        关阀分析面板按顺序列出需关闭的阀门(地图上为编号圆标,阀门编号在不重叠处标注)、停气用户(重点用户优先)、放散气量和说明。</p>
        <p>按钮:<i>阀门失效</i>以外一圈阀门重新计算;<i>缩放到停气范围</i>;<i>清除</i>;<i>阀门 CSV…</i>、<i>用户 CSV…</i>导出
        供抢修班组使用。面板底部可切换关阀顺序规则(上游优先 / 最近优先)和地图其余部分的淡化。</p>""",
        ("isolationDock",),
    ),
    Chapter(
        "simulation", "Hydraulic simulation and what-if", "水力计算与关阀对比",
        """<p><b>Simulate</b> (F5) computes pressures and flows for the network's demands; pipes are coloured by
        pressure, velocity or flow, and the Violations dock lists nodes below their minimum pressure and pipes above
        their velocity limit (click to zoom). <b>Pressure contours</b>: isobars and smooth filled bands per pressure
        system, optionally corrected with live readings.</p>
        <p><b>What-if</b>: type or pick valves in "What-if: close valves" and compare: pipes show the pressure
        change (falls red, rises blue, purple dotted: no gas) and each closed valve is marked on the map with a red
        ✕ and its id.</p>""",
        """<p><b>水力计算</b>(F5)按管网用气量计算压力和流量;管段按压力、流速或流量着色,校核面板列出低于最低压力的节点和超过流速限值的
        管段(点击定位)。<b>压力等值线</b>:按压力系统绘制等压线和平滑色带,可用实时读数校正。</p>
        <p><b>关阀对比</b>:在“关阀对比”中输入或选取阀门后比较:管段显示压力变化(下降红色、上升蓝色、紫色点线为停气),
        每个关闭的阀门在地图上以红色 ✕ 和编号标出。</p>""",
        ("simulationDock", "simulationViolationsDock"),
    ),
    Chapter(
        "live", "Live monitoring, alarms and trends", "实时监测、报警与趋势",
        """<p>The Live menu starts the telemetry feed: Start simulator (training), Connect to MQTT broker…, or Replay a
        recording…; Stop the feed ends it. The <b>Alarms</b> dock lists
        active alarms by priority with their <b>current value</b> (the onset value in the tooltip); acknowledge,
        shelve, comment, trend or zoom to the sensor. An empty list says why: no sensors in this network, no feed,
        or all normal.</p>
        <p>The <b>Trends</b> dock plots several sensors with a legend and the alarm limits (HIHI, HI, LO, LOLO) labelled
        at the right edge; wheel zooms in time, drag pans, <i>Follow now</i> keeps the newest reading in view again;
        export the shown data as CSV or the plot as PNG.</p>""",
        """<p>实时菜单启动遥测数据:启动模拟器(培训)、连接 MQTT 代理…或回放记录…;停止数据结束。<b>报警</b>面板按优先级列出活动报警及其<b>当前值</b>(提示中为报警起始值);
        可确认、搁置、备注、查看趋势或定位传感器。列表为空时说明原因:管网无传感器、无数据或全部正常。</p>
        <p><b>趋势</b>面板可同时绘制多个传感器并带图例,报警限值(HIHI、HI、LO、LOLO)标注在右侧;滚轮缩放时间轴,拖动平移,
        <i>跟随</i>保持最新读数可见;可将数据导出为 CSV,将图导出为 PNG。</p>""",
        ("alarmDock", "trendDock"),
    ),
    Chapter(
        "dispatch", "Emergency dispatch", "应急调度",
        """<p>Take a call (New call… 接报) or right-click a pipe › Open incident here. The <b>Incident</b> dock holds the
        plan (valves to close with their status), crews and their routes by street, notices to customers,
        restoration and the timeline; the <b>Incidents</b> board lists every open incident with its grade, state,
        customers affected and arrival time. Every step is signed into the ledger.</p>""",
        """<p>接报(新来电… 接报)或右键管段 › 在此开启事件。<b>事件处置</b>面板包含处置方案(需关闭阀门及其状态)、抢修班组及按街道的路线、
        用户通知、恢复供气和时间线;<b>事件看板</b>列出所有进行中的事件及其等级、状态、受影响用户和到达时间。每一步都签名记入存证账本。</p>""",
        ("incidentDock", "incidentBoardDock"),
    ),
    Chapter(
        "ledger", "Hazards and the evidence ledger", "隐患登记与存证账本",
        """<p>Report a hazard (Ledger › Report hazard, or right-click the map › Report hazard here — on a valve the
        valve is named, not the sensor on it). The <b>Hazards</b> dock follows each hazard from reported to closed;
        every step is a signed, hash-chained ledger entry with its proof.</p>
        <p>The <b>Ledger</b> dock: unlock or create the ledger, <i>Verify now</i> recomputes every entry, signature and
        checkpoint; <i>Add peer…</i> follows another organisation's ledger (paste its identity JSON) — no restart
        needed; <i>Sync now</i> pulls the peers' logs and says, peer by peer, what it did (entries added, up to
        date, unreachable and why). Logs are listed with their full names, checkpoints and witness cosignatures;
        a red banner warns when a peer signed two histories.</p>""",
        """<p>上报隐患(存证 › 上报隐患,或右键地图 › 在此上报隐患;在阀门上时记录的是阀门而不是其上的传感器)。<b>隐患</b>面板跟踪每个隐患
        从上报到关闭的全过程;每一步都是带证明的签名哈希链存证条目。</p>
        <p><b>存证账本</b>面板:解锁或创建账本;<i>立即校验</i>重新计算每个条目、签名和检查点;<i>添加对等节点…</i>关注其他单位的账本
        (粘贴其身份 JSON),无需重启;<i>立即同步</i>拉取对等节点日志并逐个说明结果(新增条目、已是最新、无法连接及原因)。
        日志以完整名称列出,附检查点和见证签名;若对等节点签署了两份历史,红色横幅报警。</p>""",
        ("ledgerHazardsDock", "ledgerDock"),
    ),
    Chapter(
        "editing", "Editing and review", "编辑与审核入库",
        """<p>The Edit menu (编辑): add pipes with snapping, insert valves, regulators, end caps or sensors on a pipe,
        move or reshape features, edit attributes in the Attribute table; every edit can be undone (Ctrl+Z). Submit
        the change set for review: the <b>Review</b> dock shows its effect (validation findings, valve segments,
        customers whose isolation changes, minimum pressures before and after). A reviewer approves (never their
        own) or rejects with a comment; approved changes are committed and signed. The <b>Validation</b> dock lists the
        network's findings by severity (a click zooms to the feature) and re-checks around each edit.</p>""",
        """<p>编辑菜单:带捕捉地添加管段,在管段上插入阀门、调压器、堵头或传感器,移动或修整要素,在属性表中编辑属性;每次编辑
        均可撤销(Ctrl+Z)。提交变更集审核:<b>审核入库</b>面板显示其影响(校验问题、阀门分段、关阀影响变化的用户、前后最低压力)。
        审核人批准(不能批准本人提交的)或附意见驳回;批准的变更入库并签名。<b>校验</b>面板按严重程度列出网络的问题(点击定位到要素),
        每次编辑后就地复查。</p>""",
        ("reviewDock", "attributeTableDock", "validationDock"),
    ),
    Chapter(
        "metering", "Metering evidence", "计量存证",
        """<p>The <b>Metering</b> dock checks signed meter batches before anchoring them in the ledger, compares
        custody transfer meters, computes the gas balance with line pack and flags jumps, and estimates methane
        emissions.</p>""",
        """<p><b>计量存证</b>面板在锚定到账本前校验签名的计量批次,比对交接计量表,计算含管存的输差并标记突变,估算甲烷排放。</p>""",
        ("meteringDock",),
    ),
    Chapter(
        "view3d", "3D view", "三维视图",
        """<p>3D view 三维视图 opens a window with the pipes at their depth under a see-through ground, buildings, risers and symbols; colour
        by pressure class, diameter or the last simulation. The crossings list flies the camera to each pipe crossing
        with both pipes labelled. Right-click the map › View in 3D here.</p>""",
        """<p>三维视图以透明地面显示埋深处的管道、建筑、立管和符号;可按压力级制、管径或最近一次计算结果着色。
        交叉列表可将相机飞到每个管道交叉处并标注两条管道。右键地图 › 在此查看三维。</p>""",
    ),
    Chapter(
        "operators", "Operators and permissions", "操作员与权限",
        """<p>Each operator logs in with their id and passphrase; their roles decide what they may do (an action they
        may not use is greyed out with the reason in its tip). Entries in the ledger are signed as the operator at
        the console. The console locks after the idle time set in the settings.</p>""",
        """<p>每位操作员以编号和口令登录;角色决定其可执行的操作(无权使用的操作呈灰色,提示中说明原因)。账本条目以当前操作员身份签名。
        空闲超过设置时间后控制台自动锁定。</p>""",
    ),
)  # fmt: skip
