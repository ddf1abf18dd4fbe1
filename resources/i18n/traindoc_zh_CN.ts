<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AboutDialog</name>
    <message>
        <location filename="../../app/gui/views/dialogs.py" line="83"/>
        <source>About TrainDoc</source>
        <translation>关于 TrainDoc</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/dialogs.py" line="86"/>
        <source>Diagnoses deep-learning training runs that went wrong: curves, likely causes, evidence and fixes.</source>
        <translation>诊断出问题的深度学习训练：曲线、可能原因、证据和修复。</translation>
    </message>
</context>
<context>
    <name>CodeView</name>
    <message>
        <location filename="../../app/gui/views/code_view.py" line="133"/>
        <source>Paste code…</source>
        <translation>粘贴代码…</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/code_view.py" line="135"/>
        <source>Drop a training script (.py) or notebook (.ipynb), or paste code: TrainDoc reads it without running it.</source>
        <translation>拖入训练脚本（.py）或笔记本（.ipynb），或粘贴代码：TrainDoc 只读取，不运行。</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/code_view.py" line="138"/>
        <source>{0} — read without running it</source>
        <translation>{0} —— 只读取，未运行</translation>
    </message>
</context>
<context>
    <name>CurvePanel</name>
    <message>
        <location filename="../../app/gui/plots/curve_panel.py" line="228"/>
        <source>Loss</source>
        <translation>损失</translation>
    </message>
    <message>
        <location filename="../../app/gui/plots/curve_panel.py" line="228"/>
        <source>Accuracy and other metrics</source>
        <translation>准确率及其他指标</translation>
    </message>
    <message>
        <location filename="../../app/gui/plots/curve_panel.py" line="229"/>
        <source>Learning rate</source>
        <translation>学习率</translation>
    </message>
    <message>
        <location filename="../../app/gui/plots/curve_panel.py" line="232"/>
        <location filename="../../app/gui/plots/curve_panel.py" line="473"/>
        <source>epoch</source>
        <translation>轮次</translation>
    </message>
    <message>
        <location filename="../../app/gui/plots/curve_panel.py" line="232"/>
        <location filename="../../app/gui/plots/curve_panel.py" line="473"/>
        <source>step</source>
        <translation>步</translation>
    </message>
    <message>
        <location filename="../../app/gui/plots/curve_panel.py" line="371"/>
        <source>selected</source>
        <translation>已选</translation>
    </message>
</context>
<context>
    <name>FindingsPanel</name>
    <message>
        <location filename="../../app/gui/views/findings_view.py" line="81"/>
        <source>Finding</source>
        <extracomment>the ``where`` of the selected symptom/evidence the selected Finding (or None) Fix, Finding Fix, Finding: &quot;Try this fix&quot;</extracomment>
        <translation>发现</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/findings_view.py" line="81"/>
        <source>Confidence</source>
        <translation>置信度</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/findings_view.py" line="94"/>
        <source>Open a training log or a model file to see a diagnosis.</source>
        <translation>打开训练日志或模型文件以查看诊断。</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/findings_view.py" line="101"/>
        <source>What the curves show</source>
        <translation>曲线显示</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/findings_view.py" line="116"/>
        <source>Nothing wrong found: the run trained as expected.</source>
        <translation>未发现问题：训练按预期进行。</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/findings_view.py" line="117"/>
        <source>Nothing wrong found in the model&apos;s settings.</source>
        <translation>模型设置中未发现问题。</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/findings_view.py" line="118"/>
        <source>No cause reaches the reporting threshold.</source>
        <translation>没有原因达到报告阈值。</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/findings_view.py" line="123"/>
        <source>Possible causes (what was given cannot decide them)</source>
        <translation>可能的原因（现有输入无法确定）</translation>
    </message>
    <message numerus="yes">
        <location filename="../../app/gui/views/findings_view.py" line="138"/>
        <source>%n likely cause(s) found.</source>
        <translation>
            <numerusform>发现 %n 个可能原因。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../app/gui/views/findings_view.py" line="219"/>
        <source>Fixes</source>
        <translation>修复</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/findings_view.py" line="232"/>
        <source>Try this fix</source>
        <translation>试试这个修复</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/findings_view.py" line="234"/>
        <source>Train the original and the patched setup briefly on the data sample and compare them</source>
        <translation>在数据样本上分别短暂训练原设置和修补后的设置并加以比较</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../app/gui/main_window.py" line="253"/>
        <source>TrainDoc — training run diagnosis</source>
        <extracomment>the UI language after a switch</extracomment>
        <translation>TrainDoc — 训练诊断</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="255"/>
        <source>&amp;Open…</source>
        <translation>打开(&amp;O)…</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="256"/>
        <source>&amp;Paste log</source>
        <translation>粘贴日志(&amp;P)</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="257"/>
        <source>Paste log &amp;text…</source>
        <translation>粘贴日志文本(&amp;T)…</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="258"/>
        <source>Add &amp;data sample…</source>
        <translation>添加数据样本(&amp;D)…</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="259"/>
        <source>Add &amp;image folder…</source>
        <translation>添加图像文件夹(&amp;I)…</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="260"/>
        <source>Add &amp;validation sample…</source>
        <translation>添加验证样本(&amp;V)…</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="261"/>
        <source>&amp;Close all</source>
        <translation>全部关闭(&amp;C)</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="262"/>
        <source>&amp;Export report…</source>
        <translation>导出报告(&amp;E)…</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="263"/>
        <source>Copy report as &amp;Markdown</source>
        <translation>复制报告为 Markdown(&amp;M)</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="264"/>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="265"/>
        <source>&amp;Logarithmic loss axis</source>
        <translation>损失使用对数坐标(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="266"/>
        <source>&amp;Reset zoom</source>
        <translation>重置缩放(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="267"/>
        <source>&amp;About TrainDoc</source>
        <translation>关于 TrainDoc(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="268"/>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="269"/>
        <source>Open &amp;Recent</source>
        <translation>最近打开(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="270"/>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="271"/>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="272"/>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="273"/>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="274"/>
        <source>Findings</source>
        <translation>诊断结果</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="275"/>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="276"/>
        <source>Code</source>
        <translation>代码</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="277"/>
        <source>Probe</source>
        <translation>探测</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="278"/>
        <source>Open files</source>
        <translation>已打开的文件</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="279"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="280"/>
        <source>Drop training logs, model files or folders here, or paste a log (Ctrl+V).</source>
        <translation>将训练日志、模型文件或文件夹拖到这里，或粘贴日志（Ctrl+V）。</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="293"/>
        <source>Open training logs or models</source>
        <translation>打开训练日志或模型</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="302"/>
        <source>Add a sample of the training data</source>
        <translation>添加训练数据的样本</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="310"/>
        <source>Add a sample of the validation data</source>
        <translation>添加验证数据的样本</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="318"/>
        <source>Add a folder of images, one subfolder per class</source>
        <translation>添加图像文件夹（每个类别一个子文件夹）</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="391"/>
        <source>Saved {0}</source>
        <translation>已保存 {0}</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="399"/>
        <source>the fix helps</source>
        <translation>修复有效</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="399"/>
        <source>no clear difference</source>
        <translation>没有明显差异</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="400"/>
        <source>the fix makes it worse</source>
        <translation>修复反而更差</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="402"/>
        <source>Trial of {0}: {1} {2} against {3} for the original over {4} seed(s): {5}</source>
        <translation>{0} 的试验：{1} 为 {2}，原设置为 {3}（{4} 个种子）：{5}</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="440"/>
        <source>Export report</source>
        <translation>导出报告</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="465"/>
        <source>Report saved to {0}</source>
        <translation>报告已保存到 {0}</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="475"/>
        <source>Report copied as Markdown</source>
        <translation>报告已复制为 Markdown</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="504"/>
        <source>{0}  ({1}, {2} epoch(s))</source>
        <translation>{0}（{1}，{2} 轮）</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="504"/>
        <source>{0}  ({1}, {2} step(s))</source>
        <translation>{0}（{1}，{2} 步）</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="507"/>
        <source>{0}  ({1})</source>
        <translation>{0}（{1}）</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="510"/>
        <source>{0}  ({1} model)</source>
        <translation>{0}（{1} 模型）</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="514"/>
        <source>{0}  (data sample, {1} row(s))</source>
        <translation>{0}（数据样本，{1} 行）</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="525"/>
        <source>inputs {0}</source>
        <translation>输入 {0}</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="527"/>
        <source>{0} image file(s)</source>
        <translation>{0} 个图像文件</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="529"/>
        <source>labels from {0}</source>
        <translation>标签来自 {0}</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="531"/>
        <source>no labels</source>
        <translation>没有标签</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="533"/>
        <source>classes: {0}</source>
        <translation>类别：{0}</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="568"/>
        <source>Most likely cause: {0} ({1:.0%})</source>
        <translation>最可能的原因：{0}（{1:.0%}）</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="591"/>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="595"/>
        <source>Clear list</source>
        <translation>清空列表</translation>
    </message>
</context>
<context>
    <name>ModelView</name>
    <message>
        <location filename="../../app/gui/views/model_view.py" line="48"/>
        <source>Layer</source>
        <translation>层</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/model_view.py" line="48"/>
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/model_view.py" line="48"/>
        <source>Output</source>
        <translation>输出</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/model_view.py" line="48"/>
        <source>Activation</source>
        <translation>激活函数</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/model_view.py" line="49"/>
        <source>Parameters</source>
        <translation>参数</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/model_view.py" line="49"/>
        <source>Share</source>
        <translation>占比</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/model_view.py" line="58"/>
        <source>No model opened. Drop a .keras or .h5 file to see its layers.</source>
        <translation>尚未打开模型。拖入 .keras 或 .h5 文件以查看其层。</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/model_view.py" line="63"/>
        <source>{0} ({1}), {2} parameters, {3} trainable</source>
        <translation>{0}（{1}），{2} 个参数，其中 {3} 个可训练</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/model_view.py" line="68"/>
        <source>Loss: {0}</source>
        <translation>损失函数：{0}</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/model_view.py" line="71"/>
        <source>Optimizer: {0}</source>
        <translation>优化器：{0}</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/model_view.py" line="73"/>
        <source>Metrics: {0}</source>
        <translation>指标：{0}</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/model_view.py" line="75"/>
        <source>Not compiled when saved (no loss or optimizer in the file).</source>
        <translation>保存时未编译（文件中没有损失函数或优化器）。</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/model_view.py" line="77"/>
        <source>From a model.summary() table: no activations, loss or optimizer.</source>
        <translation>来自 model.summary() 表格：没有激活函数、损失函数或优化器信息。</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/model_view.py" line="87"/>
        <source>(frozen)</source>
        <translation>（冻结）</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/model_view.py" line="98"/>
        <source>A finding points at this layer.</source>
        <translation>有诊断结果指向此层。</translation>
    </message>
</context>
<context>
    <name>PasteDialog</name>
    <message>
        <location filename="../../app/gui/views/dialogs.py" line="28"/>
        <source>Paste a training log</source>
        <translation>粘贴训练日志</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/dialogs.py" line="28"/>
        <source>Paste training code</source>
        <translation>粘贴训练代码</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/dialogs.py" line="30"/>
        <source>Paste your Keras training code: the model, compile() and fit(). It is read, never run. Text around it is fine.</source>
        <translation>粘贴 Keras 训练代码：模型、compile() 和 fit()。代码只被读取，不会运行。周围有其他文字也没关系。</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/dialogs.py" line="32"/>
        <source>Paste Keras console output, a CSVLogger file, History JSON, a model.summary() table, or a whole forum post with its code. Text around the log is fine.</source>
        <translation>粘贴 Keras 控制台输出、CSVLogger 文件、History JSON、model.summary() 表格，或带代码的整篇论坛帖子。日志周围有其他文字也没关系。</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/dialogs.py" line="39"/>
        <source>Diagnose</source>
        <translation>诊断</translation>
    </message>
</context>
<context>
    <name>PatchPreviewDialog</name>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="65"/>
        <source>Fix: {0}</source>
        <extracomment>path of a file written (model or training settings) message</extracomment>
        <translation>修复：{0}</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="83"/>
        <source>What changes</source>
        <translation>改动内容</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="84"/>
        <source>Model config diff</source>
        <translation>模型配置差异</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="85"/>
        <source>Code change</source>
        <translation>代码改动</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="92"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="95"/>
        <source>Save patched model…</source>
        <translation>保存修复后的模型…</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="97"/>
        <source>Save training config…</source>
        <translation>保存训练配置…</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="99"/>
        <source>Save patched script…</source>
        <translation>保存修改后的脚本…</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="101"/>
        <source>Copy code fix</source>
        <translation>复制代码修改</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="103"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="134"/>
        <source>This fix is a change to make by hand.</source>
        <translation>此修复需要手动修改。</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="135"/>
        <source>Open the model file (.keras/.h5) to save a patched copy; the code change is below.</source>
        <translation>打开模型文件（.keras/.h5）即可保存修复后的副本；代码改动见下方。</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="155"/>
        <source>The patched model cannot be written: its config holds objects TrainDoc does not rebuild (the diagnosis still stands). Make the change in your code instead.</source>
        <translation>无法写出修复后的模型：其配置包含 TrainDoc 不会重建的对象（诊断结论仍然有效）。请改为在代码中修改。</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="161"/>
        <source>(no change to the model config)</source>
        <translation>（模型配置没有改动）</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="164"/>
        <source>Code change ({0})</source>
        <translation>代码修改（{0}）</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="170"/>
        <source>No model file is open: the fix is made in {0}. Open the model file (.keras/.h5) to save a patched copy of it too.</source>
        <translation>未打开模型文件：修改在 {0} 中完成。打开模型文件（.keras/.h5）即可同时保存修改后的模型副本。</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="194"/>
        <source>Save patched model</source>
        <translation>保存修复后的模型</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="195"/>
        <source>Keras model (*.keras)</source>
        <translation>Keras 模型 (*.keras)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="211"/>
        <source>Rebuilding the model in a worker process…</source>
        <translation>正在后台进程中重建模型…</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="217"/>
        <source>Save training config</source>
        <translation>保存训练配置</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="219"/>
        <source>JSON (*.json);;YAML (*.yaml *.yml)</source>
        <translation>JSON (*.json);;YAML (*.yaml *.yml)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="234"/>
        <source>Training settings saved to {0}</source>
        <translation>训练设置已保存到 {0}</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="246"/>
        <source>Notebook (*.ipynb)</source>
        <translation>笔记本 (*.ipynb)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="247"/>
        <source>Save patched script</source>
        <translation>保存修改后的脚本</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="244"/>
        <source>Python (*.py);;Unified diff (*.diff *.patch)</source>
        <translation>Python (*.py);;统一差异格式 (*.diff *.patch)</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="262"/>
        <source>Patched script saved to {0}</source>
        <translation>修改后的脚本已保存到 {0}</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="267"/>
        <source>Code change copied to the clipboard.</source>
        <translation>代码改动已复制到剪贴板。</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="272"/>
        <source>Cancelled.</source>
        <translation>已取消。</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="286"/>
        <source>Patched model saved to {0}: weights carried over for {1} layer(s).</source>
        <translation>修复后的模型已保存到 {0}：{1} 个层的权重已保留。</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/patch_dialog.py" line="289"/>
        <source>Re-initialized (shapes changed): {0}.</source>
        <translation>重新初始化（形状已改变）：{0}。</translation>
    </message>
</context>
<context>
    <name>ProbeView</name>
    <message>
        <location filename="../../app/gui/views/probe_view.py" line="80"/>
        <source>Add data sample…</source>
        <translation>添加数据样本…</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/probe_view.py" line="81"/>
        <source>Layer</source>
        <translation>层</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/probe_view.py" line="81"/>
        <source>Dead units</source>
        <translation>死亡单元</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/probe_view.py" line="81"/>
        <source>Saturated</source>
        <translation>饱和</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/probe_view.py" line="82"/>
        <source>Gradient RMS</source>
        <translation>梯度 RMS</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/probe_view.py" line="82"/>
        <source>Weight RMS</source>
        <translation>权重 RMS</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/probe_view.py" line="83"/>
        <source>BatchNormalization layer</source>
        <translation>BatchNormalization 层</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/probe_view.py" line="83"/>
        <source>Channels</source>
        <translation>通道</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/probe_view.py" line="84"/>
        <source>Moving mean off by (std)</source>
        <translation>滑动均值偏差（标准差）</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/probe_view.py" line="85"/>
        <source>Sample / moving variance</source>
        <translation>样本方差 / 滑动方差</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/probe_view.py" line="87"/>
        <source>Share of ReLU units that never activate</source>
        <translation>从不激活的 ReLU 单元占比</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/probe_view.py" line="88"/>
        <source>Loss gradient per layer (RMS, log scale)</source>
        <translation>每层的损失梯度（RMS，对数刻度）</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/probe_view.py" line="137"/>
        <source>Nothing measured yet. Add a sample of the training data (File ▸ Add data sample…) with a model file open: TrainDoc runs the model on it in a separate process and measures dead units, gradients per layer and BatchNormalization.</source>
        <translation>尚未测量。打开模型文件后添加一份训练数据样本（文件 ▸ 添加数据样本…）：TrainDoc 会在独立进程中用它运行模型，测量死亡单元、每层梯度和 BatchNormalization。</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/probe_view.py" line="143"/>
        <source>{0}: {1} rows of the sample, {2} s.</source>
        <translation>{0}：样本的 {1} 行，{2} 秒。</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/probe_view.py" line="147"/>
        <source>Loss on the sample: {0:.4g} in inference mode, {1:.4g} in training mode.</source>
        <translation>样本上的损失：推理模式 {0:.4g}，训练模式 {1:.4g}。</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/probe_view.py" line="151"/>
        <source>The uniform guess would lose ln {0} = {1:.4g}.</source>
        <translation>均匀猜测的损失为 ln {0} = {1:.4g}。</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/probe_view.py" line="155"/>
        <source>A fresh copy of the model learned {0} rows: loss {1:.4g} → {2:.4g} in {3} steps.</source>
        <translation>模型的全新副本学会了 {0} 行：损失在 {3} 步内 {1:.4g} → {2:.4g}。</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/probe_view.py" line="157"/>
        <source>A fresh copy of the model could not learn {0} rows: loss {1:.4g} → {2:.4g} in {3} steps.</source>
        <translation>模型的全新副本无法学会 {0} 行：损失在 {3} 步内 {1:.4g} → {2:.4g}。</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/probe_view.py" line="163"/>
        <source>Accuracy on the sample: {0}; the most predicted class takes {1:.0f} % of the rows.</source>
        <translation>样本上的准确率：{0}；预测最多的类别占 {1:.0f} % 的行。</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/probe_view.py" line="167"/>
        <source>Output entropy: {0:.2f} of the uniform guess&apos;s.</source>
        <translation>输出熵为均匀猜测的 {0:.2f}。</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/probe_view.py" line="170"/>
        <source>Not measured: {0}.</source>
        <translation>未测量：{0}。</translation>
    </message>
</context>
<context>
    <name>ReadFacts</name>
    <message>
        <location filename="../../app/gui/views/read_facts.py" line="14"/>
        <source>{count} epoch(s) of {names}</source>
        <translation>{count} 轮：{names}</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/read_facts.py" line="15"/>
        <source>{count} step(s) of {names}</source>
        <translation>{count} 步：{names}</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/read_facts.py" line="16"/>
        <source>{count} result(s) of evaluate() ({names})</source>
        <translation>{count} 个 evaluate() 结果（{names}）</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/read_facts.py" line="17"/>
        <source>{count} sentence(s) used as evidence ({names})</source>
        <translation>{count} 句文字用作证据（{names}）</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/read_facts.py" line="18"/>
        <source>{count} layer(s) ({names})</source>
        <translation>{count} 层（{names}）</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/read_facts.py" line="19"/>
        <source>compile: {names}</source>
        <translation>compile：{names}</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/read_facts.py" line="20"/>
        <source>fit: {names}</source>
        <translation>fit：{names}</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/read_facts.py" line="21"/>
        <location filename="../../app/gui/views/read_facts.py" line="34"/>
        <source>{count} other line(s) not read as metrics</source>
        <translation>另有 {count} 行不是指标（输出、文字、代码）</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/read_facts.py" line="27"/>
        <source>{count} epoch(s)</source>
        <translation>{count} 轮</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/read_facts.py" line="28"/>
        <source>{count} step(s)</source>
        <translation>{count} 步</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/read_facts.py" line="29"/>
        <source>{count} result(s) of evaluate()</source>
        <translation>{count} 个 evaluate() 结果</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/read_facts.py" line="30"/>
        <source>{count} sentence(s)</source>
        <translation>{count} 句文字</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/read_facts.py" line="31"/>
        <source>{count} layer(s)</source>
        <translation>{count} 层</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/read_facts.py" line="32"/>
        <source>compiled</source>
        <translation>已编译</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/read_facts.py" line="33"/>
        <source>fit() settings</source>
        <translation>fit() 设置</translation>
    </message>
    <message>
        <location filename="../../app/gui/views/read_facts.py" line="46"/>
        <location filename="../../app/gui/views/read_facts.py" line="53"/>
        <source>nothing usable was read</source>
        <translation>没有读到可用的内容</translation>
    </message>
</context>
<context>
    <name>Session</name>
    <message>
        <location filename="../../app/gui/session.py" line="258"/>
        <source>Reading {0}…</source>
        <extracomment>runs or models were added or removed list[CaseDiagnosis], the current diagnosis a message naming the file and what was wrong message, fraction (-1 when idle) paths read successfully (for recent files) dict model path -&gt; the probe&apos;s measurements the patch id of the fix being tried one epoch of a trial arm (from the worker thread, queued) the judged trial (app.rules.verified.judge)</extracomment>
        <translation>正在读取 {0}…</translation>
    </message>
    <message>
        <location filename="../../app/gui/session.py" line="265"/>
        <source>The pasted text is empty.</source>
        <translation>粘贴的文本为空。</translation>
    </message>
    <message>
        <location filename="../../app/gui/session.py" line="269"/>
        <source>pasted text {0}</source>
        <translation>粘贴的文本 {0}</translation>
    </message>
    <message>
        <location filename="../../app/gui/session.py" line="269"/>
        <source>pasted code {0}</source>
        <translation>粘贴的代码 {0}</translation>
    </message>
    <message>
        <location filename="../../app/gui/session.py" line="276"/>
        <source>Reading the data sample {0}…</source>
        <translation>正在读取数据样本 {0}…</translation>
    </message>
    <message>
        <location filename="../../app/gui/session.py" line="283"/>
        <source>Add the sample of the training data first: the validation sample is compared with it.</source>
        <translation>请先添加训练数据的样本：验证样本要与它比较。</translation>
    </message>
    <message>
        <location filename="../../app/gui/session.py" line="287"/>
        <source>Reading the validation sample {0}…</source>
        <translation>正在读取验证样本 {0}…</translation>
    </message>
    <message>
        <location filename="../../app/gui/session.py" line="306"/>
        <source>Probing the model on the data sample…</source>
        <translation>正在用数据样本探测模型…</translation>
    </message>
    <message>
        <location filename="../../app/gui/session.py" line="316"/>
        <source>Trying a fix needs the model file (.keras, .h5) of this run.</source>
        <translation>试验修复需要这次运行的模型文件（.keras、.h5）。</translation>
    </message>
    <message>
        <location filename="../../app/gui/session.py" line="319"/>
        <source>Trying a fix trains on a data sample with labels: add one first (File ▸ Add data sample…).</source>
        <translation>试验修复要在带标签的数据样本上训练：请先添加一个（文件 ▸ 添加数据样本…）。</translation>
    </message>
    <message>
        <location filename="../../app/gui/session.py" line="324"/>
        <source>This fix is a change to make by hand: it cannot be tried.</source>
        <translation>这个修复需要手动修改：无法试验。</translation>
    </message>
    <message>
        <location filename="../../app/gui/session.py" line="326"/>
        <source>Trying the fix on the data sample…</source>
        <translation>正在数据样本上试验修复…</translation>
    </message>
    <message>
        <location filename="../../app/gui/session.py" line="354"/>
        <source>Diagnosing…</source>
        <translation>正在诊断…</translation>
    </message>
    <message>
        <location filename="../../app/gui/session.py" line="428"/>
        <source>Internal error while {0}: {1}</source>
        <translation>{0}时发生内部错误：{1}</translation>
    </message>
    <message>
        <location filename="../../app/gui/session.py" line="429"/>
        <source>diagnosing</source>
        <translation>诊断</translation>
    </message>
    <message>
        <location filename="../../app/gui/session.py" line="429"/>
        <source>reading</source>
        <translation>读取</translation>
    </message>
</context>
</TS>
